/** InferencePort over the inference process (src-main/worker). */
import type { DetectedFace } from '../../src-shared/faces.ts';
import type { InferenceWorker } from './client.ts';
import { engineSpec, type EngineConfig } from '../services/engine-config.ts';
import type { InferencePort } from '../services/ports.ts';

/** Only the detected-face fields cross to the worker (records carry ids and choices too). */
function plainFace(face: DetectedFace): DetectedFace {
  const { box, score, points, skipped, manual } = face;
  return { box, score, points, ...(skipped === undefined ? {} : { skipped }), ...(manual === undefined ? {} : { manual }) };
}

export function workerInference(worker: InferenceWorker, config: EngineConfig): InferencePort {
  return {
    detect: (path, signal) => worker.call('detect', { path }, { signal }),
    landmarks: async (path, box, signal) => {
      const { points, width, height } = await worker.call('landmarks', { path, box }, { signal });
      return { points, width, height };
    },
    damageMask: (path, outPath, signal) => worker.call('damageMask', { path, outPath }, { signal }),
    alignFace: async (path, face, outPath, signal) => {
      await worker.call('alignFace', { path, face: plainFace(face), faceSize: config.faceSize, outPath }, { signal });
    },
    previewFace: async ({ path, face, checkpoint, settings, seed, out }, signal) => {
      const engine = engineSpec(config, checkpoint, settings.device);
      await worker.call('previewFace', { path, face: plainFace(face), engine, settings, seed, out }, { signal });
    },
  };
}
