/** MediaPort over a worker process (src-main/worker/media.ts does the pixels). */
import type { MediaPort } from '../services/ports.ts';
import { WorkerCallError, WorkerUnavailableError, type InferenceWorker } from './client.ts';

export function workerMedia(worker: InferenceWorker): MediaPort {
  return {
    imageHeader: async (path) => {
      try {
        return await worker.call('imageHeader', { path });
      } catch (err) {
        // A file that takes the process down is that file's problem; a process that cannot run
        // here at all (WorkerUnavailableError) is everyone's, and stops the import with its message.
        if (err instanceof WorkerCallError && err.kind === 'crashed' && !(err instanceof WorkerUnavailableError)) {
          return { error: 'reading it stopped the image process' };
        }
        throw err;
      }
    },
    displayCopy: async (request) => {
      await worker.call('displayCopy', request);
    },
  };
}
