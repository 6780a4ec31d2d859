import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { JobProgress, PhotoStage } from '../../src-shared/ipc.ts';
import type { RestoreSettings } from '../../src-shared/settings.ts';
import type { LibraryDb } from '../library/db.ts';
import { addResult, getPhoto, listFaces, matchingResults, replaceFaces, setPhotoStatus, type PhotoRow } from '../library/photos.ts';
import { commitFiles, discardFiles, removeStaleTemps, tempPathFor } from '../util/atomic-file.ts';
import { allPaths, chooseOutputNames, mapNames, pairPaths, type OutputNames } from '../export/naming.ts';
import { buildSidecar, writeSidecar } from '../export/sidecar.ts';
import {
  cancelQueuedItems,
  claimItem,
  countItems,
  createJob,
  finishItem,
  getJob,
  nextQueuedItems,
  reserveOutputs,
  reservedOutputs,
  setJobState,
  type JobItemRow,
  type JobRow,
} from './job-store.ts';
import { writeJobSummary } from './job-summary.ts';
import type { PhotoProcessor, Prepared, StageContext } from './photo-processor.ts';
import { EtaEstimator, ProgressThrottle, photoFraction } from './progress.ts';

export interface BatchQueueOptions {
  db: LibraryDb;
  processor: PhotoProcessor<unknown, unknown>;
  /**
   * How many photos ahead are decoded and detected while the model restores the current one
   * (0 = no overlap). Each prefetched photo holds its decoded pixels in memory.
   */
  prefetch?: number;
  /** 'stored': use faces kept in the library (the app's per-face choices); 'detect': always detect. */
  faces?: 'stored' | 'detect';
  progressIntervalMs?: number;
}

/** Per-photo outcome, reported to `onItem` listeners (the CLI prints them). */
export interface ItemEvent {
  jobId: number;
  photoId: number;
  name: string;
  outcome: 'restored' | 'skipped' | 'failed';
  outputs: string[];
  error: string | null;
  /** Restored: the photo's stage times added up; otherwise the time it was the current photo. */
  ms: number;
}

type PrepOutcome = { kind: 'skip'; outputs: string[] } | { kind: 'ready'; prepared: Prepared<unknown> } | { kind: 'error'; error: unknown };

interface Prefetch {
  item: JobItemRow;
  photo: PhotoRow | null;
  outcome: Promise<PrepOutcome>;
  /** Set when the photo already has a result with these settings (nothing to do). */
  skip: string[] | null;
  stage: PhotoStage;
  fraction: number;
}

/** A job that cannot go on (its output folder vanished or is read-only): every photo would fail. */
class JobFatalError extends Error {}

/**
 * The persistent batch queue. All job and item state is in the database; this object only holds
 * what a running job needs in memory (its abort controller and prefetched photos), so a crash
 * loses nothing but the photo in progress. One job runs at a time (the model is one resource);
 * `start` queues a job and returns at once, progress arrives through `onProgress`.
 */
export class BatchQueue {
  readonly #db: LibraryDb;
  readonly #processor: PhotoProcessor<unknown, unknown>;
  readonly #prefetch: number;
  readonly #faces: 'stored' | 'detect';
  readonly #intervalMs: number;
  readonly #listeners = new Set<(p: JobProgress) => void>();
  readonly #itemListeners = new Set<(e: ItemEvent) => void>();
  #active: { jobId: number; abort: AbortController; current: Prefetch | null; eta: EtaEstimator; throttle: ProgressThrottle } | null = null;
  #loop: Promise<void> | null = null;

  constructor(options: BatchQueueOptions) {
    this.#db = options.db;
    this.#processor = options.processor;
    this.#prefetch = Math.max(0, Math.min(4, options.prefetch ?? 1));
    this.#faces = options.faces ?? 'stored';
    this.#intervalMs = options.progressIntervalMs ?? 100;
  }

  onProgress(listener: (p: JobProgress) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onItem(listener: (e: ItemEvent) => void): () => void {
    this.#itemListeners.add(listener);
    return () => this.#itemListeners.delete(listener);
  }

  /** Creates a job for these photos and queues it. */
  start(photoIds: number[], settings: RestoreSettings, outputFolder: string): JobProgress {
    const unknown = photoIds.find((id) => getPhoto(this.#db, id) === null);
    if (unknown !== undefined) throw new Error(`no photo ${unknown} in the library`);
    const jobId = createJob(this.#db, settings, outputFolder, photoIds);
    for (const id of photoIds) setPhotoStatus(this.#db, id, 'queued', getPhoto(this.#db, id)?.error ?? null);
    this.#kick();
    return this.progress(jobId);
  }

  /** Queues an existing job again (one interrupted by a crash, or a rerun of the same batch). */
  enqueue(jobId: number): JobProgress {
    const job = this.#job(jobId);
    if (job.state === 'paused' || job.state === 'running') {
      if (this.#active?.jobId !== jobId) setJobState(this.#db, jobId, 'queued');
    }
    this.#kick();
    return this.progress(jobId);
  }

  /** Stops after the photo in progress; prefetched photos go back to the queue. */
  pause(jobId: number): JobProgress {
    const job = this.#job(jobId);
    if (job.state === 'running' || job.state === 'queued') setJobState(this.#db, jobId, 'paused');
    return this.#emitNow(jobId);
  }

  /**
   * Pauses and abandons the photo in progress at its next check (it stays queued, nothing is
   * half-written): what Ctrl-C does in the CLI. Resuming redoes that photo only.
   */
  stop(jobId: number): JobProgress {
    const p = this.pause(jobId);
    if (this.#active?.jobId === jobId) this.#active.abort.abort(new Error('stopped'));
    return p;
  }

  resume(jobId: number): JobProgress {
    const job = this.#job(jobId);
    if (job.state === 'paused') {
      // Still winding down from the pause: it keeps running.
      setJobState(this.#db, jobId, this.#active?.jobId === jobId ? 'running' : 'queued');
      this.#kick();
    }
    return this.#emitNow(jobId);
  }

  /**
   * Cancels between photos and between faces (the processor checks the signal). Stopping an
   * inference call already inside the model is the caller's job (kill the worker process).
   */
  cancel(jobId: number): JobProgress {
    const job = this.#job(jobId);
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') return this.progress(jobId);
    setJobState(this.#db, jobId, 'cancelled');
    if (this.#active?.jobId === jobId) this.#active.abort.abort(new Error('cancelled'));
    else cancelQueuedItems(this.#db, jobId);
    return this.#emitNow(jobId);
  }

  /** The running job's progress, else the newest unfinished one's, else null. */
  current(): JobProgress | null {
    if (this.#active !== null) return this.progress(this.#active.jobId);
    const r = this.#db
      .prepare<[], { id: number }>("SELECT id FROM jobs WHERE state IN ('queued', 'paused') ORDER BY id DESC LIMIT 1")
      .get();
    return r === undefined ? null : this.progress(r.id);
  }

  progress(jobId: number): JobProgress {
    const job = this.#job(jobId);
    const c = countItems(this.#db, jobId);
    const active = this.#active?.jobId === jobId ? this.#active : null;
    const cur = active?.current ?? null;
    const fraction = cur === null ? 0 : photoFraction(cur.stage, cur.fraction);
    const remaining = c.queued + c.running;
    return {
      jobId,
      state: job.state,
      done: c.done + c.skipped,
      failed: c.failed,
      total: c.total,
      current:
        cur === null || cur.photo === null
          ? null
          : { photoId: cur.photo.id, name: path.basename(cur.photo.path), stage: cur.stage, fraction },
      etaMs: active === null || remaining === 0 ? null : active.eta.estimate(remaining, fraction),
    };
  }

  /** Resolves when no job is running or queued. */
  async idle(): Promise<void> {
    while (this.#loop !== null) await this.#loop;
  }

  #job(jobId: number): JobRow {
    const job = getJob(this.#db, jobId);
    if (job === null) throw new Error(`no job ${jobId}`);
    return job;
  }

  #emitNow(jobId: number): JobProgress {
    const p = this.progress(jobId);
    if (this.#active?.jobId === jobId) this.#active.throttle.flush(p);
    else this.#emit(p);
    return p;
  }

  #emit(p: JobProgress): void {
    for (const l of this.#listeners) l(p);
  }

  #kick(): void {
    if (this.#loop !== null) return;
    this.#loop = (async () => {
      try {
        for (;;) {
          const next = this.#db.prepare<[], { id: number }>("SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1").get();
          if (next === undefined) break;
          try {
            await this.#run(next.id);
          } catch (err) {
            // Only a broken database gets here; never leave the job 'queued' (it would spin).
            try {
              setJobState(this.#db, next.id, 'failed', `batch stopped: ${errorMessage(err)}`);
            } catch {
              break;
            }
          }
        }
      } finally {
        this.#loop = null;
      }
    })();
  }

  async #run(jobId: number): Promise<void> {
    const job = this.#job(jobId);
    const abort = new AbortController();
    const active = {
      jobId,
      abort,
      current: null as Prefetch | null,
      eta: new EtaEstimator(),
      throttle: new ProgressThrottle((p) => this.#emit(p), this.#intervalMs),
    };
    this.#active = active;
    setJobState(this.#db, jobId, 'running');
    const ahead: Prefetch[] = [];
    // Prefetches stop on pause too (their photos stay queued), hence their own controller.
    const prefetchAbort = new AbortController();
    abort.signal.addEventListener('abort', () => prefetchAbort.abort(abort.signal.reason), { once: true });
    try {
      checkOutputFolder(job.outputFolder);
      removeStaleTemps(job.outputFolder);
      active.throttle.flush(this.progress(jobId));
      for (;;) {
        const state = this.#job(jobId).state;
        if (state !== 'running') break;
        const next = ahead.shift() ?? this.#startPrepare(job, nextQueuedItems(this.#db, jobId, 1, new Set())[0], prefetchAbort.signal);
        if (next === null) break;
        active.current = next;
        if (next.skip === null) claimItem(this.#db, next.item.id);
        // Top up the photos being prepared so they overlap with this one's restore.
        const busy = new Set([next.item.id, ...ahead.map((a) => a.item.id)]);
        for (const item of nextQueuedItems(this.#db, jobId, this.#prefetch - ahead.length, busy)) {
          const p = this.#startPrepare(job, item, prefetchAbort.signal);
          if (p !== null) ahead.push(p);
        }
        await this.#processItem(job, next, abort.signal);
        active.current = null;
        active.throttle.push(() => this.progress(jobId));
      }
    } catch (err) {
      const message = err instanceof JobFatalError ? err.message : `batch stopped: ${errorMessage(err)}`;
      setJobState(this.#db, jobId, 'failed', message);
    } finally {
      prefetchAbort.abort(new Error('stopped'));
      await Promise.allSettled(ahead.map((a) => a.outcome));
      const end = this.#job(jobId).state;
      // A failed job does not resume (a rerun makes a new one, skipping finished photos).
      if (end === 'cancelled' || end === 'failed') cancelQueuedItems(this.#db, jobId);
      else if (end === 'running') {
        const c = countItems(this.#db, jobId);
        setJobState(this.#db, jobId, c.queued + c.running === 0 ? 'done' : 'queued');
      }
      try {
        if (existsSync(job.outputFolder)) writeJobSummary(this.#db, jobId, this.#processor.description);
      } catch {
        // The summary is a convenience; the database keeps the truth.
      }
      active.current = null;
      active.throttle.flush(this.progress(jobId));
      this.#active = null;
    }
  }

  /** Starts preparing an item (or finds it already restored). Null when there is no item. */
  #startPrepare(job: JobRow, item: JobItemRow | undefined, signal: AbortSignal): Prefetch | null {
    if (item === undefined) return null;
    const photo = getPhoto(this.#db, item.photoId);
    const pf: Prefetch = {
      item,
      photo,
      skip: null,
      stage: 'decode',
      fraction: 0,
      outcome: Promise.resolve({ kind: 'error', error: new Error('photo not in library') }),
    };
    if (photo === null) return pf;
    // Already restored from these bytes, with these settings and this model, and still on disk.
    const done = matchingResults(this.#db, photo.id, photo.hash, job.settings).find(
      (r) => r.modelHash === this.#processor.modelSha256 && r.outputs.length > 0 && r.outputs.every((o) => existsSync(o)),
    );
    if (done !== undefined) {
      pf.skip = done.outputs;
      pf.outcome = Promise.resolve({ kind: 'skip', outputs: done.outputs });
      return pf;
    }
    const known = this.#faces === 'stored' ? listFaces(this.#db, photo.id) : [];
    const ctx = this.#context(pf, signal);
    pf.outcome = this.#processor.prepare({ path: photo.path, settings: job.settings, knownFaces: known.length > 0 ? known : null }, ctx).then(
      (prepared): PrepOutcome => ({ kind: 'ready', prepared }),
      (error: unknown): PrepOutcome => ({ kind: 'error', error }),
    );
    return pf;
  }

  #context(pf: Prefetch, signal: AbortSignal): StageContext {
    return {
      signal,
      onStage: (stage, fraction = 0) => {
        pf.stage = stage;
        pf.fraction = fraction;
        const active = this.#active;
        if (active !== null && active.current === pf) active.throttle.push(() => this.progress(active.jobId));
      },
    };
  }

  async #processItem(job: JobRow, pf: Prefetch, signal: AbortSignal): Promise<void> {
    const t0 = performance.now();
    const { item, photo } = pf;
    const name = photo === null ? `photo ${item.photoId}` : path.basename(photo.path);
    const report = (outcome: ItemEvent['outcome'], outputs: string[], error: string | null, ms = performance.now() - t0) => {
      const e: ItemEvent = { jobId: job.id, photoId: item.photoId, name, outcome, outputs, error, ms };
      for (const l of this.#itemListeners) l(e);
    };
    const outcome = await pf.outcome;
    if (outcome.kind === 'skip') {
      finishItem(this.#db, item.id, 'skipped');
      if (photo !== null) setPhotoStatus(this.#db, photo.id, 'restored');
      report('skipped', outcome.outputs, null);
      return;
    }
    if (photo === null) {
      finishItem(this.#db, item.id, 'failed', 'photo not in library');
      report('failed', [], 'photo not in library');
      return;
    }
    setPhotoStatus(this.#db, photo.id, 'restoring');
    try {
      if (outcome.kind === 'error') throw outcome.error;
      const prepared = outcome.prepared;
      if (prepared.detected) replaceFaces(this.#db, photo.id, prepared.faces, job.settings.seed);
      signal.throwIfAborted();
      const ctx = this.#context(pf, signal);
      const restored = await this.#processor.restore(prepared, ctx);
      signal.throwIfAborted();
      const done = await this.#finishAndCommit(job, item, photo, prepared, restored.state, restored.timingsMs, ctx);
      this.#active?.eta.photoProcessed();
      report('restored', done.outputs, null, done.totalMs);
    } catch (err) {
      if (signal.aborted) {
        // Cancelled: the photo is left as it was, never half-written.
        finishItem(this.#db, item.id, 'queued');
        setPhotoStatus(this.#db, photo.id, 'queued');
        return;
      }
      if (err instanceof JobFatalError) {
        finishItem(this.#db, item.id, 'queued');
        setPhotoStatus(this.#db, photo.id, 'queued');
        throw err;
      }
      const message = errorMessage(err);
      finishItem(this.#db, item.id, 'failed', message);
      setPhotoStatus(this.#db, photo.id, 'failed', message);
      addResult(this.#db, {
        photoId: photo.id,
        settings: job.settings,
        outputPath: null,
        outputs: [],
        timingsMs: { totalMs: performance.now() - t0 },
        modelHash: this.#processor.modelSha256,
        photoHash: photo.hash,
        error: message,
      });
      this.#active?.eta.photoProcessed();
      report('failed', [], message);
    }
  }

  /**
   * Writes the photo's files under temporary names, then renames them onto names reserved in
   * the database first: a rerun after a crash reuses the reservation (overwriting only its own
   * files) instead of adding a " (2)" duplicate.
   */
  async #finishAndCommit(
    job: JobRow,
    item: JobItemRow,
    photo: PhotoRow,
    prepared: Prepared<unknown>,
    restored: unknown,
    restoreTimings: Record<string, number>,
    ctx: StageContext,
  ): Promise<{ outputs: string[]; totalMs: number }> {
    const { settings, outputFolder } = job;
    // The encoder would silently recreate a removed folder (without our database in it).
    checkOutputFolder(outputFolder);
    let names: OutputNames;
    try {
      names = item.outputs ?? chooseOutputNames(outputFolder, photo.path, settings.format, settings.pairs, reservedOutputs(this.#db, outputFolder));
    } catch (err) {
      throw folderProblem(outputFolder) ?? err;
    }
    if (item.outputs === null) reserveOutputs(this.#db, item.id, names);
    const temp = mapNames(names, tempPathFor);
    const temps = allPaths(temp);
    try {
      const fin = await this.#processor.finish(prepared, restored, temp, ctx);
      const stages = { ...prepared.timingsMs, ...restoreTimings, ...fin.timingsMs };
      // The photo's own cost; with prefetching its wall time overlaps the previous photo's.
      const timingsMs = { ...stages, totalMs: Math.round(Object.values(stages).reduce((a, b) => a + b, 0)) };
      const pairs = pairPaths(names);
      writeSidecar(
        temp.sidecar,
        buildSidecar({
          input: { name: path.basename(photo.path), sha256: photo.hash, size: photo.size },
          output: { image: names.image, pairs },
          settings,
          model: { description: this.#processor.description, sha256: this.#processor.modelSha256 },
          faces: prepared.faces.map((f, index) => ({ index, ...f })),
          timingsMs,
        }),
      );
      ctx.signal.throwIfAborted();
      // mapNames keeps the group's shape, so both lists are in the same order.
      commitFiles(allPaths(names).map((final, i) => ({ final, temp: temps[i] })));
      const outputs = allPaths(names);
      this.#db.transaction(() => {
        addResult(this.#db, {
          photoId: photo.id,
          settings,
          outputPath: names.image,
          outputs,
          timingsMs,
          modelHash: this.#processor.modelSha256,
          photoHash: photo.hash,
          error: null,
        });
        finishItem(this.#db, item.id, 'done');
        setPhotoStatus(this.#db, photo.id, 'restored');
      })();
      return { outputs, totalMs: timingsMs.totalMs };
    } catch (err) {
      discardFiles(temps);
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new JobFatalError(`the disk holding ${outputFolder} is full`);
      throw folderProblem(outputFolder) ?? err;
    }
  }
}

/** Throws a clear error when the output folder is missing, not a folder or not writable. */
export function checkOutputFolder(folder: string): void {
  const problem = folderProblem(folder);
  if (problem !== null) throw problem;
}

function folderProblem(folder: string): JobFatalError | null {
  try {
    if (!statSync(folder).isDirectory()) return new JobFatalError(`the output folder ${folder} is not a folder`);
    accessSync(folder, constants.W_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new JobFatalError(`the output folder ${folder} does not exist (was it removed or unplugged?)`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new JobFatalError(`the output folder ${folder} is read-only`);
    return new JobFatalError(`the output folder ${folder} cannot be used: ${errorMessage(err)}`);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
