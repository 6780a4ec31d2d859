/**
 * A whole CLI batch: the library database in `<output>/.heirloom/`, import of the inputs, then
 * the queue. Rerunning the same command resumes: an interrupted job with the same settings is
 * continued, and photos already restored with these settings are skipped.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { JobProgress } from '../../src-shared/ipc.ts';
import type { RestoreSettings } from '../../src-shared/settings.ts';
import { UserError } from '../util/errors.ts';
import { openLibrary, type LibraryDb } from '../library/db.ts';
import { importPaths, type ReadHeader } from '../library/import.ts';
import { BATCH_LOCK, BATCH_STATE_DIR, batchLibraryFile } from '../library/location.ts';
import { BatchQueue, checkOutputFolder, type ItemEvent } from './batch-queue.ts';
import { addPhotos, countItems, createJob, findResumableJob, getJob, listItems, recoverInterrupted, requeueUnfinished, setJobState, type JobCounts, type JobRow } from './job-store.ts';
import { getPhoto, latestResult } from '../library/photos.ts';
import type { PhotoProcessor } from './photo-processor.ts';
import { lockWithPid } from '../util/pid.ts';
import { outputFolderProblem } from '../util/real-path.ts';

export interface RunBatchOptions {
  inputs: string[];
  outputFolder: string;
  settings: RestoreSettings;
  processor: PhotoProcessor<unknown, unknown>;
  /** Reads a new photo's size (in the worker process that runs the pipeline). */
  readHeader: ReadHeader;
  prefetch?: number;
  signal?: AbortSignal;
  onImport?: (r: { found: number; added: number; unchanged: number; failed: { name: string; error: string }[]; resumedJob: number | null }) => void;
  onItem?: (e: ItemEvent) => void;
  onProgress?: (p: JobProgress) => void;
}

export interface BatchReport {
  job: JobRow;
  counts: JobCounts;
  /** The folder's database (for `heirloom batch status`). */
  database: string;
}

/** Creates the output folder if needed; a path that exists but is unusable is a clear error. */
export function prepareOutputFolder(folder: string): string {
  const abs = path.resolve(folder);
  try {
    mkdirSync(abs, { recursive: true });
  } catch (err) {
    throw new UserError(`cannot create the output folder ${abs}: ${(err as Error).message}`);
  }
  try {
    checkOutputFolder(abs);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  return abs;
}

export async function runBatch(o: RunBatchOptions): Promise<BatchReport> {
  const problem = await outputFolderProblem(o.outputFolder, o.inputs);
  if (problem !== null) throw new UserError(problem);
  const out = prepareOutputFolder(o.outputFolder);
  const dbFile = batchLibraryFile(out);
  let db: LibraryDb;
  try {
    db = openLibrary(dbFile);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  const unlock = lockFolder(path.join(out, BATCH_STATE_DIR, BATCH_LOCK));
  try {
    recoverInterrupted(db);
    const imported = await importPaths(db, o.inputs, { exclude: [out], readHeader: o.readHeader });
    const ids = imported.result.photoIds;
    let job = findResumableJob(db, o.settings, out);
    const resumedJob = job?.id ?? null;
    if (job === null) job = getJob(db, createJob(db, o.settings, out, ids))!;
    else {
      requeueUnfinished(db, job.id);
      addPhotos(db, job.id, ids);
    }
    const failedPhotos = new Set(ids.map((id) => getPhoto(db, id)).flatMap((p) => (p?.status === 'failed' ? [path.basename(p.path)] : [])));
    o.onImport?.({
      found: ids.length,
      added: imported.result.added,
      unchanged: imported.result.unchanged,
      // A file whose header could not be read is in the job too (failed, with its reason): it is
      // reported once, as that photo's outcome; only files that never became photos are listed here.
      failed: imported.result.failed.filter((f) => !failedPhotos.has(f.name)),
      resumedJob,
    });
    if (ids.length === 0 && countItems(db, job.id).total === 0) {
      setJobState(db, job.id, 'done');
      throw new UserError(`no photos found in ${o.inputs.join(', ')}`);
    }
    if (resumedJob !== null) reportFinished(db, resumedJob, o.onItem);
    const queue = new BatchQueue({ db, processor: o.processor, prefetch: o.prefetch, faces: 'detect' });
    if (o.onItem) queue.onItem(o.onItem);
    if (o.onProgress) queue.onProgress(o.onProgress);
    const jobId = job.id;
    const onAbort = () => queue.stop(jobId);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      queue.enqueue(jobId);
      await queue.idle();
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
    const final = getJob(db, jobId)!;
    if (final.state === 'failed') {
      // Photos finished before the stop are recorded: a rerun skips them.
      throw new UserError(`${final.error ?? 'the batch failed'}; fix that and run the same command again to restore the rest`);
    }
    return { job: final, counts: countItems(db, jobId), database: dbFile };
  } finally {
    unlock();
    db.close();
  }
}

/** Photos a resumed job finished before it was interrupted: reported as skipped, not redone. */
function reportFinished(db: LibraryDb, jobId: number, onItem: ((e: ItemEvent) => void) | undefined): void {
  if (onItem === undefined) return;
  for (const item of listItems(db, jobId)) {
    if (item.state !== 'done' && item.state !== 'skipped') continue;
    const photo = getPhoto(db, item.photoId);
    const result = latestResult(db, item.photoId);
    const name = photo === null ? `photo ${item.photoId}` : path.basename(photo.path);
    onItem({ jobId, photoId: item.photoId, name, outcome: 'skipped', outputs: result?.outputs ?? [], error: null, ms: 0, model: null });
  }
}

/**
 * One batch per output folder at a time: a second `heirloom restore` into the same folder would
 * otherwise take over the first one's "interrupted" job. A lock left by a killed process (its pid
 * no longer runs) is taken over.
 */
function lockFolder(lockFile: string): () => void {
  const stateDir = path.dirname(lockFile);
  let lock: ReturnType<typeof lockWithPid>;
  try {
    lock = lockWithPid(lockFile);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot lock ${stateDir}: ${(err as Error).message}`);
  }
  if ('heldBy' in lock) throw new UserError(`another heirloom (pid ${lock.heldBy}) is already restoring into ${path.dirname(stateDir)}`);
  return lock.release;
}
