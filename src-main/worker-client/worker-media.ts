/** MediaPort over a worker process (src-main/worker/media.ts does the pixels). */
import type { MediaPort } from '../services/ports.ts';
import { WorkerCallError, WorkerUnavailableError, type InferenceWorker } from './client.ts';

export function workerMedia(worker: InferenceWorker): MediaPort {
  return {
    imageHeader: async (path) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await worker.call('imageHeader', { path });
        } catch (err) {
          // It waited behind another call when the process stopped: it never ran, ask again.
          if (err instanceof WorkerCallError && err.kind === 'interrupted' && attempt < 2) continue;
          // A file that takes the process down is that file's problem; a process that cannot run
          // here at all (WorkerUnavailableError) is everyone's, and stops the import with its message.
          if (err instanceof WorkerCallError && err.kind === 'crashed' && !(err instanceof WorkerUnavailableError)) {
            return { error: 'reading this file stopped Heirloom’s image reader, so it is probably damaged: use another copy of this photo, or scan the print again' };
          }
          throw err;
        }
      }
    },
    displayCopy: async (request) => {
      await worker.call('displayCopy', request);
    },
  };
}
