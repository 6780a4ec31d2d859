import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { openLibrary } from '../../library/db.ts';
import { BATCH_LOCK, batchLibraryFile } from '../../library/location.ts';
import { lockHolder } from '../../util/pid.ts';
import { getPhoto } from '../../library/photos.ts';
import { countItems, listItems, listJobs } from '../../jobs/job-store.ts';

/** `heirloom batch status -o <dir>`: what the batches restoring into <dir> did (read-only). */
export function register(program: Command): void {
  const batch = program.command('batch').description('Inspect the batches of an output folder');
  batch
    .command('status')
    .description('Show the batches run into an output folder: state, counts and failed photos')
    .requiredOption('-o, --output <dir>', 'the output folder of `heirloom restore`')
    .option('--json', 'print JSON')
    .action((opts: { output: string; json?: boolean }) => {
      const file = batchLibraryFile(opts.output);
      if (!existsSync(file)) throw new UserError(`no batch has run into ${path.resolve(opts.output)} (no ${file})`);
      const db = openLibrary(file);
      try {
        // A job the database calls running whose process is gone (killed, crashed, power cut).
        const running = lockHolder(path.join(path.dirname(file), BATCH_LOCK)) !== null;
        const jobs = listJobs(db).map((job) => {
          const items = listItems(db, job.id);
          return {
            id: job.id,
            state: job.state === 'running' && !running ? 'interrupted' : job.state,
            error: job.error,
            settings: job.settings,
            createdAt: job.createdAt,
            finishedAt: job.finishedAt,
            counts: countItems(db, job.id),
            failed: items
              .filter((i) => i.state === 'failed')
              .map((i) => ({ name: path.basename(getPhoto(db, i.photoId)?.path ?? `photo ${i.photoId}`), error: i.error ?? '' })),
          };
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(jobs, null, 2)}\n`);
          return;
        }
        const out = (s: string) => process.stdout.write(`${s}\n`);
        if (jobs.length === 0) out('no batches yet');
        for (const j of jobs) {
          const c = j.counts;
          const s = j.settings;
          out(`batch ${j.id}: ${j.state}  ${c.done} restored, ${c.skipped} already done, ${c.failed} failed, ${c.queued + c.running} waiting (of ${c.total})`);
          out(`  steps ${s.steps}, ${s.sampler}, fidelity ${s.fidelity}${s.strength === 1 ? '' : `, strength ${s.strength}`}, seed ${s.seed}, ${s.scale}x, ${s.format}, pairs ${s.pairs}; started ${j.createdAt}${j.finishedAt ? `, ended ${j.finishedAt}` : ''}`);
          if (j.state === 'interrupted') out(`  its process is no longer running: run the same heirloom restore command again to resume`);
          if (j.error) out(`  error: ${j.error}`);
          for (const f of j.failed) out(`  failed: ${f.name}: ${f.error}`);
        }
      } finally {
        db.close();
      }
    });
}
