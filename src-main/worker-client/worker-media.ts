/** MediaPort over a worker process (src-main/worker/media.ts does the pixels). */
import type { MediaPort } from '../services/ports.ts';
import type { InferenceWorker } from './client.ts';

export function workerMedia(worker: InferenceWorker): MediaPort {
  return {
    imageHeader: (path) => worker.call('imageHeader', { path }),
    displayCopy: async (request) => {
      await worker.call('displayCopy', request);
    },
  };
}
