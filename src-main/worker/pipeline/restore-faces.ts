/**
 * Restore stage: the aligned faces of a photo go through the FaceRestorer in one batch (one model
 * call), and its output is checked before anything is pasted.
 */
import type { FaceRestorer, RestoreOptions, RestoredFaces } from './face-restorer.ts';
import type { AlignedFaces } from './align.ts';

export async function restoreFaces(restorer: FaceRestorer, aligned: AlignedFaces, options: RestoreOptions): Promise<RestoredFaces> {
  if (aligned.size !== restorer.faceSize) {
    throw new Error(`faces aligned at ${aligned.size}px but the restorer takes ${restorer.faceSize}px`);
  }
  if (aligned.n === 0) return { restored: new Float32Array(0), mean: new Float32Array(0) };
  options.signal?.throwIfAborted();
  const out = await restorer.restore(aligned.faces, aligned.n, options);
  const expected = aligned.n * 3 * aligned.size * aligned.size;
  if (out.restored.length !== expected || out.mean.length !== expected) {
    throw new Error(`restorer returned ${out.restored.length} values for ${aligned.n} faces (expected ${expected})`);
  }
  for (let i = 0; i < out.restored.length; i += 997) {
    if (!Number.isFinite(out.restored[i])) throw new Error('restorer returned non-finite values');
  }
  return out;
}
