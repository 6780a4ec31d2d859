/**
 * Stand-in FaceRestorers for pipeline tests and benchmarks: they check geometry and blending without
 * a model. They are never used to fake a model's output.
 */
import type { FaceRestorer, RestoreOptions, RestoredFaces } from '../../src-main/worker/pipeline/face-restorer.ts';

/** Returns the aligned faces unchanged: pasting them back must reproduce the photo. */
export function identityRestorer(faceSize = 512): FaceRestorer & { calls: number[] } {
  const calls: number[] = [];
  return {
    faceSize,
    description: 'identity (test)',
    calls,
    async restore(faces: Float32Array, n: number, _options: RestoreOptions): Promise<RestoredFaces> {
      calls.push(n);
      return { restored: faces.slice(), mean: faces.slice() };
    },
    async dispose() {},
  };
}

/** Adds `amount` to every channel (clamped): a visible change whose border must not show a seam. */
export function brightenRestorer(amount = 0.25, faceSize = 512): FaceRestorer {
  return {
    faceSize,
    description: `brighten +${amount} (test)`,
    async restore(faces: Float32Array): Promise<RestoredFaces> {
      const out = faces.map((v) => Math.min(1, v + amount));
      return { restored: out, mean: out.slice() };
    },
    async dispose() {},
  };
}

/**
 * Paints the lower third of each face (the mouth) red: a restorer that "invents lip colour", which
 * gray and sepia prints must not show. Not uniform, so matching the mean colour cannot undo it.
 */
export function tintRestorer(faceSize = 512): FaceRestorer {
  return {
    faceSize,
    description: 'red tint (test)',
    async restore(faces: Float32Array, n: number): Promise<RestoredFaces> {
      const out = faces.slice();
      const plane = faceSize * faceSize;
      for (let i = 0; i < n; i++) {
        const base = i * 3 * plane;
        for (let p = Math.floor(faceSize * 0.66) * faceSize; p < plane; p++) {
          out[base + p] = Math.min(1, out[base + p] + 0.35);
          out[base + plane + p] = Math.max(0, out[base + plane + p] - 0.15);
          out[base + 2 * plane + p] = Math.max(0, out[base + 2 * plane + p] - 0.15);
        }
      }
      return { restored: out, mean: out.slice() };
    },
    async dispose() {},
  };
}
