/** faces:* — the user's decisions per face, faces drawn by hand, and previews. */
import { ServiceError } from '../errors.ts';
import type { ChannelHandlers, ServiceContext } from '../context.ts';

export function faceHandlers(c: ServiceContext): ChannelHandlers<'faces:update' | 'faces:add' | 'faces:remove' | 'faces:preview'> {
  const lib = c.library;
  return {
    'faces:update': async ({ faceId, ...change }) => {
      if (lib.getFace(faceId) === null) throw new ServiceError('not-found', `no face ${faceId}`);
      const face = lib.updateFace(faceId, change);
      c.changed([face.photoId]);
      return face;
    },
    'faces:add': async ({ photoId, box }) => {
      const photo = c.detail(photoId);
      // The stored size is checked first (cheap, clear message); the worker checks the decoded one.
      if (photo.width !== null && photo.height !== null && (box[0] + box[2] > photo.width || box[1] + box[3] > photo.height)) {
        throw new ServiceError('invalid-arguments', `the face box is outside the photo (${photo.width}x${photo.height})`);
      }
      const { points } = await c.deps.inference.landmarks(c.photoFile(photoId), box);
      // Score 1: the user is sure there is a face; `manual` marks where it came from.
      lib.addFace(photoId, { box, score: 1, points, manual: true });
      c.changed([photoId]);
      return c.detail(photoId);
    },
    'faces:remove': async ({ faceId }) => {
      const face = lib.getFace(faceId);
      if (face === null) throw new ServiceError('not-found', `no face ${faceId}`);
      // A detected face would come back on the next detection: those are skipped instead.
      if (face.manual !== true) throw new ServiceError('invalid-arguments', 'Only faces added by hand can be removed; untick "Restore this face" to skip a detected one.');
      lib.removeFace(faceId);
      await c.media.forgetFace(face);
      c.changed([face.photoId]);
      return c.detail(face.photoId);
    },
    'faces:preview': async ({ faceId }) => {
      const face = lib.getFace(faceId);
      if (face === null) throw new ServiceError('not-found', `no face ${faceId}`);
      const checkpoint = await c.checkpoint();
      const out = {
        aligned: c.media.facePath(face, 'aligned'),
        mean: c.media.facePath(face, 'mean'),
        flow: c.media.facePath(face, 'flow'),
      };
      await c.deps.inference.previewFace({ path: c.photoFile(face.photoId), face, checkpoint, settings: c.settings().restore, seed: face.seed, out });
      return {
        faceId,
        seed: face.seed,
        mean: { kind: 'face', faceId, variant: 'mean' },
        flow: { kind: 'face', faceId, variant: 'flow' },
      };
    },
  };
}
