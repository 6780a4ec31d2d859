/** export:run — restored photos and their pairs into a folder the user picked. */
import { ServiceError } from '../errors.ts';
import type { ChannelHandlers, ServiceContext } from '../context.ts';

export function exportHandlers(c: ServiceContext): ChannelHandlers<'export:run' | 'export:openFolder'> {
  const lib = c.library;
  return {
    'export:run': async ({ photoIds, pairs, labels }) => {
      let folder = c.settings().outputFolder;
      if (folder === null) {
        folder = await c.deps.picker.outputFolder();
        if (folder === null) throw new ServiceError('invalid-arguments', 'Export cancelled: no folder chosen.');
        c.allowList.add(folder);
      }
      if (!c.allowList.has(folder)) throw new ServiceError('not-allowed', 'Choose the export folder with the folder dialog.');
      const photos = photoIds.map((photoId) => {
        const restored = lib.restoredPath(photoId);
        if (restored === null) throw new ServiceError('invalid-arguments', `photo ${photoId} is not restored yet`);
        return { photoId, original: c.photoFile(photoId), restored };
      });
      return c.deps.exporter.run({ photos, pairs, labels: labels ?? false, folder, quality: c.settings().restore.quality });
    },
    'export:openFolder': async () => {
      const folder = c.settings().outputFolder;
      if (folder === null) throw new ServiceError('invalid-arguments', 'No folder chosen yet.');
      if (!c.allowList.has(folder)) throw new ServiceError('not-allowed', 'Choose the folder with the folder dialog.');
      await c.deps.picker.showFolder(folder);
    },
  };
}
