/** Faces of one photo: detection, the landmarks of a box the user drew, aligned crops, previews. */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { writeFileAtomic } from '../../util/atomic-file.ts';
import { UserError } from '../../util/errors.ts';
import { engineFor } from '../engine-state.ts';
import { alignFaces } from '../pipeline/align.ts';
import { looksAligned } from '../pipeline/aligned-input.ts';
import { decodePhoto } from '../pipeline/decode.ts';
import { detectFaces } from '../pipeline/detect.ts';
import { landmarksInBox } from '../pipeline/landmarks.ts';
import { preparePhoto, restorePrepared, type StageRunner } from '../pipeline/stages.ts';
import { CancelledError, type Handlers } from './context.ts';

/** [3,S,S] float planes in [0,1] -> an RGB PNG, written to a temp name then renamed. */
async function writeFacePng(planes: Float32Array, offset: number, size: number, out: string): Promise<void> {
  const plane = size * size;
  const rgb = Buffer.alloc(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(Math.min(1, Math.max(0, planes[offset + c * plane + i])) * 255);
  }
  await writeFileAtomic(out, (temp) => sharp(rgb, { raw: { width: size, height: size, channels: 3 } }).png().toFile(temp));
}

export const faceHandlers: Handlers<'detect' | 'landmarks' | 'alignFace' | 'previewFace'> = {
  detect: async ({ path }, ctx) => {
    ctx.progress('decode', 0);
    const photo = await decodePhoto(path);
    if (ctx.signal.aborted) throw new CancelledError();
    ctx.progress('detect', 0);
    const faces = await detectFaces(photo.image);
    ctx.progress('detect', 1);
    const { width, height } = photo.image;
    return { path, width, height, faces, looksAligned: looksAligned(width, height, faces), ...(photo.damage === undefined ? {} : { damage: photo.damage }) };
  },

  landmarks: async ({ path, box }) => {
    const photo = await decodePhoto(path);
    const { width, height } = photo.image;
    if (box[0] < 0 || box[1] < 0 || box[0] + box[2] > width || box[1] + box[3] > height) {
      throw new UserError(`the face box is outside the photo (${width}x${height})`);
    }
    return { ...(await landmarksInBox(photo.image, box)), width, height };
  },

  alignFace: async ({ path, face, faceSize: size, outPath }) => {
    const photo = await decodePhoto(path);
    const aligned = await alignFaces(photo.image, [face], size);
    await writeFacePng(aligned.faces, 0, size, outPath);
    return { outPath };
  },

  /** One face through the batch's own stages (decode, align with the given face, restore). */
  previewFace: async ({ path, face, engine, settings, seed, out }, ctx) => {
    const t0 = performance.now();
    const { restorer } = await engineFor(engine, ctx.status);
    const run: StageRunner = async (stage, fn) => {
      if (ctx.signal.aborted) throw new CancelledError();
      if (stage === 'decode' || stage === 'align' || stage === 'restore') ctx.progress(stage, 0);
      return fn();
    };
    const prepared = await preparePhoto(path, run, { faceSize: engine.faceSize, faces: [face], signal: ctx.signal });
    await writeFacePng(prepared.aligned.faces, 0, engine.faceSize, out.aligned);
    // Always the flow: its result carries the posterior mean too, so both ends come from one run.
    const r = await restorePrepared(run, restorer, prepared, { steps: settings.steps, fidelity: 1, sampler: settings.sampler, strength: settings.strength, seed, seeds: [seed], signal: ctx.signal });
    await writeFacePng(r.mean, 0, engine.faceSize, out.mean);
    await writeFacePng(r.restored, 0, engine.faceSize, out.flow);
    return { timingsMs: { totalMs: Math.round(performance.now() - t0) }, description: restorer.description };
  },
};
