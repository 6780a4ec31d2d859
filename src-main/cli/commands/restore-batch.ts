/**
 * `heirloom restore` through the persistent batch queue: the state lives in
 * `<output>/.heirloom/library.db`, so rerunning the same command after a crash, a kill or Ctrl-C
 * resumes (photos already restored with the same settings are skipped and reported as such).
 * The pipeline runs in the inference process, as in the app: a photo that crashes it fails
 * alone, and the batch goes on in a fresh one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { JobProgress } from '../../../src-shared/ipc.ts';
import type { RestoreSettings } from '../../../src-shared/settings.ts';
import { resolveModel } from '../../models/manager.ts';
import { InferenceWorker } from '../../worker-client/client.ts';
import { forkWorker } from '../../worker-client/spawn-node.ts';
import { WorkerPhotoProcessor } from '../../worker-client/worker-processor.ts';
import { workerMedia } from '../../worker-client/worker-media.ts';
import { runBatch, type BatchReport } from '../../jobs/run-batch.ts';
import type { ItemEvent } from '../../jobs/batch-queue.ts';
import { scaleNoteOf } from '../../jobs/photo-item.ts';
import { SUMMARY_JSON } from '../../export/summary.ts';

export interface RestoreBatchOptions {
  inputs: string[];
  output: string;
  settings: RestoreSettings;
  faceSize: number;
  model?: string;
  arch?: string;
  json?: boolean;
  /** Write "Before" / "After" on side-by-side pairs. */
  pairLabels?: boolean;
  /** Photos prepared ahead while the model works (default 1). */
  prefetch?: number;
}

/** A preset name as given; a meta.json path made absolute (the worker has its own working folder). */
function archSpec(arch: string | undefined): string | null {
  if (arch === undefined) return null;
  return existsSync(arch) ? path.resolve(arch) : arch;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Runs the batch; prints one line per photo on stderr (and a progress line on a terminal). */
export async function restoreBatch(o: RestoreBatchOptions): Promise<void> {
  const err = process.stderr;
  const line = (text: string) => {
    if (err.isTTY) err.write('\r\x1b[K');
    err.write(`${text}\n`);
  };
  const draw = (p: JobProgress) => {
    if (!err.isTTY || p.current === null) return;
    const width = 24;
    const filled = Math.round((width * (p.done + p.failed)) / Math.max(1, p.total));
    const eta = p.etaMs === null ? '' : `  ETA ${clock(p.etaMs)}`;
    err.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done + p.failed}/${p.total}  ${p.current.name}  ${p.current.stage}${eta}\x1b[K`);
  };
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    line('stopping: the photo in progress is abandoned, rerun the same command to resume (Ctrl-C again to quit now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  const events: ItemEvent[] = [];
  let model: string | null = null;
  let report: BatchReport;
  const t0 = performance.now();
  const worker = new InferenceWorker(forkWorker());
  try {
    const checkpoint = path.resolve(o.model ?? (await resolveModel()));
    const engine = { checkpoint, arch: archSpec(o.arch), faceSize: o.faceSize, device: o.settings.device };
    const processor = new WorkerPhotoProcessor(worker, { engine: async () => engine, pairLabels: o.pairLabels, onStatus: (m) => line(m) });
    report = await runBatch({
      inputs: o.inputs,
      outputFolder: o.output,
      settings: o.settings,
      processor,
      readHeader: workerMedia(worker).imageHeader,
      prefetch: o.prefetch,
      signal: controller.signal,
      onImport: (r) => {
        const resumed = r.resumedJob === null ? '' : `; resuming batch ${r.resumedJob}`;
        line(`${r.found} photo(s): ${r.added} new or changed, ${r.unchanged} known${resumed}`);
        for (const f of r.failed) line(`${f.name}: cannot be read: ${f.error}`);
      },
      onItem: (e) => {
        events.push(e);
        model = e.model ?? model;
        if (o.json) return;
        const rel = (p: string | undefined) => (p === undefined ? '?' : path.relative(path.resolve(o.output), p));
        if (e.alignedInput === 'offered') line(`${e.name}: looks like an aligned face (the FFHQ 512 layout), restored whole; --no-aligned restores the faces found in it instead`);
        const note = scaleNoteOf(e.scaleLowered, o.settings.scale);
        if (note !== null) line(`${e.name}: ${note}`);
        if (e.damage !== undefined) line(`${e.name}: ${e.damage}`);
        if (e.outcome === 'restored') line(`${e.name} -> ${rel(e.outputs[0])}  (${(e.ms / 1000).toFixed(1)} s)`);
        else if (e.outcome === 'skipped') line(`${e.name}: already restored (${rel(e.outputs[0])}), skipped`);
        else line(e.error?.startsWith(e.name) ? `FAILED ${e.error}` : `${e.name}: FAILED ${e.error}`);
      },
      onProgress: draw,
    });
  } finally {
    process.off('SIGINT', onSigint);
    if (err.isTTY) err.write('\r\x1b[K');
    worker.dispose();
  }
  const c = report.counts;
  const stopped = report.job.state === 'paused';
  const totalMs = Math.round(performance.now() - t0);
  if (o.json) {
    const photos = events.map((e) => ({
      input: e.name,
      outcome: e.outcome,
      outputs: e.outputs,
      error: e.error,
      ms: Math.round(e.ms),
      ...(e.alignedInput === undefined ? {} : { alignedInput: e.alignedInput }),
      ...(e.scaleLowered === undefined ? {} : { scale: e.scaleLowered.scale, note: scaleNoteOf(e.scaleLowered, o.settings.scale) }),
      ...(e.damage === undefined ? {} : { damage: e.damage }),
    }));
    process.stdout.write(`${JSON.stringify({ restorer: model, settings: o.settings, job: report.job.id, state: report.job.state, counts: c, photos, totalMs })}\n`);
  } else {
    // What this run did, as its lines said (photos finished by an earlier run of a resumed batch
    // were reported as already done, and are counted so).
    const waiting = c.queued + c.running;
    const n = (outcome: ItemEvent['outcome']) => events.filter((e) => e.outcome === outcome).length;
    err.write(
      `${n('restored')} restored, ${n('skipped')} already done, ${n('failed')} failed${waiting > 0 ? `, ${waiting} not yet done` : ''} in ${clock(totalMs)}; ` +
        `output in ${path.resolve(o.output)} (summary: ${SUMMARY_JSON})\n`,
    );
  }
  if (stopped) process.exitCode = 130;
  else if (c.failed > 0) process.exitCode = 1;
}
