/**
 * The persistent batch queue: which job runs, pause/resume/cancel/stop, prefetching the next
 * photos while the model works, and throttled progress. Each photo's own path (skip, prepare,
 * restore, write, record) is photo-item.ts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { JobProgress } from '../../src-shared/ipc.ts';
import type { RestoreSettings } from '../../src-shared/settings.ts';
import type { LibraryDb } from '../library/db.ts';
import { getPhoto, setPhotoStatus } from '../library/photos.ts';
import { removeStaleTemps } from '../util/atomic-file.ts';
import {
  cancelQueuedItems,
  claimItem,
  countItems,
  createJob,
  getJob,
  newestUnfinishedJob,
  nextQueuedItems,
  nextQueuedJob,
  setJobState,
  type JobRow,
} from './job-store.ts';
import { writeJobSummary } from './job-summary.ts';
import { JobFatalError, checkOutputFolder, errorMessage } from './output-folder.ts';
import { processPhotoItem, startPhotoItem, type ItemEvent, type PhotoItem, type PhotoItemDeps } from './photo-item.ts';
import type { PhotoProcessor } from './photo-processor.ts';
import { EtaEstimator, ProgressThrottle, photoFraction } from './progress.ts';

export type { ItemEvent } from './photo-item.ts';
export { checkOutputFolder } from './output-folder.ts';

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
  /** Restoring a photo again replaces its last result's files (the app); default: new names (the CLI). */
  replaceOwnOutputs?: boolean;
  progressIntervalMs?: number;
}

/**
 * The persistent batch queue. All job and item state is in the database; this object only holds
 * what a running job needs in memory (its abort controller and prefetched photos), so a crash
 * loses nothing but the photo in progress. One job runs at a time (the model is one resource);
 * `start` queues a job and returns at once, progress arrives through `onProgress`.
 */
export class BatchQueue {
  readonly #db: LibraryDb;
  readonly #prefetch: number;
  readonly #deps: PhotoItemDeps;
  /** The model of the last photo restored, for the job's summary. */
  #model: string | null = null;
  readonly #intervalMs: number;
  readonly #listeners = new Set<(p: JobProgress) => void>();
  readonly #itemListeners = new Set<(e: ItemEvent) => void>();
  #active: { jobId: number; abort: AbortController; current: PhotoItem | null; eta: EtaEstimator; throttle: ProgressThrottle } | null = null;
  #loop: Promise<void> | null = null;

  constructor(options: BatchQueueOptions) {
    this.#db = options.db;
    this.#prefetch = Math.max(0, Math.min(4, options.prefetch ?? 1));
    this.#deps = {
      db: options.db,
      processor: options.processor,
      faces: options.faces ?? 'stored',
      replaceOwnOutputs: options.replaceOwnOutputs ?? false,
      onStage: (pi) => {
        const active = this.#active;
        if (active !== null && active.current === pi) active.throttle.push(() => this.progress(active.jobId));
      },
      onItem: (e) => {
        if (e.model !== null) this.#model = e.model;
        for (const l of this.#itemListeners) l(e);
      },
    };
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
    const id = newestUnfinishedJob(this.#db);
    return id === null ? null : this.progress(id);
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
      skipped: c.skipped,
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
          const next = nextQueuedJob(this.#db);
          if (next === null) break;
          try {
            await this.#run(next);
          } catch (err) {
            // Only a broken database gets here; never leave the job 'queued' (it would spin).
            try {
              setJobState(this.#db, next, 'failed', `batch stopped: ${errorMessage(err)}`);
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
      current: null as PhotoItem | null,
      eta: new EtaEstimator(),
      throttle: new ProgressThrottle((p) => this.#emit(p), this.#intervalMs),
    };
    this.#active = active;
    setJobState(this.#db, jobId, 'running');
    const ahead: PhotoItem[] = [];
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
        const item = ahead.length > 0 ? undefined : nextQueuedItems(this.#db, jobId, 1, new Set())[0];
        const next = ahead.shift() ?? (item === undefined ? null : startPhotoItem(this.#deps, job, item, prefetchAbort.signal));
        if (next === null) break;
        active.current = next;
        claimItem(this.#db, next.item.id);
        // Top up the photos being prepared so they overlap with this one's restore.
        const busy = new Set([next.item.id, ...ahead.map((a) => a.item.id)]);
        for (const queued of nextQueuedItems(this.#db, jobId, this.#prefetch - ahead.length, busy)) {
          ahead.push(startPhotoItem(this.#deps, job, queued, prefetchAbort.signal));
        }
        if (await processPhotoItem(this.#deps, job, next, abort.signal)) active.eta.photoProcessed();
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
        if (existsSync(job.outputFolder)) writeJobSummary(this.#db, jobId, this.#model);
      } catch {
        // The summary is a convenience; the database keeps the truth.
      }
      active.current = null;
      active.throttle.flush(this.progress(jobId));
      this.#active = null;
    }
  }
}
