/** library:* and photos:* — importing, listing, removing and detecting photos. */
import { ServiceError } from '../errors.ts';
import type { ChannelHandlers, ServiceContext } from '../context.ts';

type LibraryChannel = 'library:importDialog' | 'library:importDropped' | 'library:list' | 'library:get' | 'library:remove' | 'photos:detect' | 'photos:setAligned';

export function libraryHandlers(c: ServiceContext): ChannelHandlers<LibraryChannel> {
  const lib = c.library;
  return {
    'library:importDialog': async ({ kind }) => {
      const picked = await c.deps.picker.importPaths(kind);
      if (picked === null || picked.length === 0) return null;
      c.allowList.add(...picked);
      return c.importAllowed(picked);
    },
    'library:importDropped': async ({ paths }) => {
      const refused = paths.filter((p) => !c.allowList.hasForImport(p));
      if (refused.length > 0) {
        throw new ServiceError('not-allowed', `not a file you dropped or picked: ${refused.slice(0, 3).join(', ')}${refused.length > 3 ? ', ...' : ''}`);
      }
      return c.importAllowed(paths);
    },
    'library:list': async () => lib.listPhotos(),
    'library:get': async ({ photoId }) => c.detail(photoId),
    'library:remove': async ({ photoIds }) => {
      const known = photoIds.filter((id) => lib.photoPath(id) !== null);
      lib.removePhotos(known);
      await Promise.all(known.map((id) => c.media.forgetPhoto(id)));
      c.changed(known);
    },
    'photos:detect': async ({ photoIds }) => {
      const paths = photoIds.map((id) => [id, c.photoFile(id)] as const);
      const out = [];
      // One at a time: a failure is recorded on its photo and the rest go on.
      for (const [id, file] of paths) {
        try {
          lib.setDetection(id, await c.deps.inference.detect(file));
        } catch (err) {
          lib.setFailed(id, `face detection failed: ${(err as Error).message}`);
        }
        out.push(c.detail(id));
        c.changed([id]);
      }
      return out;
    },
    'photos:setAligned': async ({ photoId, aligned }) => {
      if (lib.photoPath(photoId) === null) throw new ServiceError('not-found', `no photo ${photoId}`);
      lib.setAligned(photoId, aligned);
      c.changed([photoId]);
      return c.detail(photoId);
    },
  };
}
