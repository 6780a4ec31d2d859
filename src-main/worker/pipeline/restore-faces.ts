/**
 * Restore stage: the aligned faces of a photo go through the FaceRestorer in one batch (one model
 * call), its output is checked before anything is pasted, and each face is put at its fidelity
 * (the line from the posterior mean to the flow result).
 */
import { blendFidelity } from '../inference/fidelity.ts';
import { faceFidelities, type FaceRestorer, type RestoreOptions, type RestoredFaces } from './face-restorer.ts';
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
  const lambdas = faceFidelities(options, aligned.n);
  if (lambdas.every((l) => l === 1)) return out;
  const per = 3 * aligned.size * aligned.size;
  const restored = new Float32Array(out.restored.length);
  for (let i = 0; i < aligned.n; i++) {
    const face = (a: Float32Array) => a.subarray(i * per, (i + 1) * per);
    restored.set(blendFidelity(face(out.mean), face(out.restored), lambdas[i]), i * per);
  }
  return { restored, mean: out.mean };
}
