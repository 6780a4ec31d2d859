/** jobs:* — the batch queue. */
import { ServiceError } from '../errors.ts';
import type { ChannelHandlers, ServiceContext } from '../context.ts';

export function jobHandlers(c: ServiceContext): ChannelHandlers<'jobs:start' | 'jobs:pause' | 'jobs:resume' | 'jobs:cancel' | 'jobs:current'> {
  const { jobs } = c.deps;
  return {
    'jobs:start': async ({ photoIds }) => {
      for (const id of photoIds) c.photoFile(id);
      const settings = c.settings();
      if (settings.outputFolder === null) throw new ServiceError('invalid-arguments', 'Choose an output folder before starting a batch.');
      await c.checkpoint();
      return jobs.start(photoIds, settings);
    },
    'jobs:pause': async ({ jobId }) => jobs.pause(jobId),
    'jobs:resume': async ({ jobId }) => jobs.resume(jobId),
    'jobs:cancel': async ({ jobId }) => jobs.cancel(jobId),
    'jobs:current': async () => jobs.current(),
  };
}
