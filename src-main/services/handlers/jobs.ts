/** jobs:* — the batch queue. */
import { outputFolderProblem } from '../../util/real-path.ts';
import { ServiceError } from '../errors.ts';
import type { ChannelHandlers, ServiceContext } from '../context.ts';

export function jobHandlers(c: ServiceContext): ChannelHandlers<'jobs:start' | 'jobs:pause' | 'jobs:resume' | 'jobs:cancel' | 'jobs:current'> {
  const { jobs } = c.deps;
  return {
    'jobs:start': async ({ photoIds }) => {
      const files = photoIds.map((id) => c.photoFile(id));
      const settings = c.settings();
      if (settings.outputFolder === null) throw new ServiceError('invalid-arguments', 'Choose an output folder before starting a batch.');
      // Never among the originals (through links too): the folder's next import would take the outputs in.
      const problem = await outputFolderProblem(settings.outputFolder, files);
      if (problem !== null) throw new ServiceError('invalid-arguments', `${problem[0].toUpperCase()}${problem.slice(1)}.`);
      await c.checkpoint();
      return jobs.start(photoIds, settings);
    },
    'jobs:pause': async ({ jobId }) => jobs.pause(jobId),
    'jobs:resume': async ({ jobId }) => jobs.resume(jobId),
    'jobs:cancel': async ({ jobId }) => jobs.cancel(jobId),
    'jobs:current': async () => jobs.current(),
  };
}
