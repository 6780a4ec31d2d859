/** JobsPort over the persistent batch queue (src-main/jobs). */
import type { BatchQueue } from '../jobs/batch-queue.ts';
import { ServiceError } from './errors.ts';
import type { JobsPort } from './ports.ts';

export function jobsPort(queue: BatchQueue): JobsPort {
  // "no job N" from the queue is the renderer's stale id: a not-found, not a failure.
  const known = <T>(jobId: number, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof Error && err.message === `no job ${jobId}`) throw new ServiceError('not-found', `no batch ${jobId}`);
      throw err;
    }
  };
  return {
    start: (photoIds, settings) => {
      if (settings.outputFolder === null) throw new ServiceError('invalid-arguments', 'Choose an output folder before starting a batch.');
      return queue.start(photoIds, settings.restore, settings.outputFolder);
    },
    pause: (jobId) => known(jobId, () => queue.pause(jobId)),
    resume: (jobId) => known(jobId, () => queue.resume(jobId)),
    cancel: (jobId) => known(jobId, () => queue.cancel(jobId)),
    current: () => queue.current(),
    onProgress: (l) => queue.onProgress(l),
  };
}
