/** InferencePort over the inference process (src-main/worker). */
import type { InferenceWorker } from '../worker/client.ts';
import type { InferencePort } from './ports.ts';

export function workerInference(worker: InferenceWorker): InferencePort {
  return {
    detect: (path, signal) => worker.call('detect', { path }, { signal }),
    alignFace: async (path, face, outPath, signal) => {
      const { box, score, points, skipped } = face;
      await worker.call('alignFace', { path, face: { box, score, points, ...(skipped ? { skipped } : {}) }, outPath }, { signal });
    },
    previewFace: async (request, signal) => {
      const { box, score, points, skipped } = request.face;
      await worker.call('previewFace', { ...request, face: { box, score, points, ...(skipped ? { skipped } : {}) } }, { signal });
    },
  };
}
