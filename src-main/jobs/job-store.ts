import path from 'node:path';
import type { JobState } from '../../src-shared/ipc.ts';
import { savedRestoreSettingsSchema } from '../../src-shared/ipc.ts';
import type { RestoreSettings } from '../../src-shared/settings.ts';
import { nowIso, type LibraryDb } from '../library/db.ts';
import { settingsKey } from '../library/photos.ts';
import { outputNamesSchema, type OutputNames } from '../export/naming.ts';

/**
 * Jobs and their items, persisted: the database is the queue's only state, so a crash loses
 * nothing but the item that was 'running' (put back to 'queued' by `recoverInterrupted`).
 *
 * Job:  queued -> running -> done | failed | cancelled, and running <-> paused.
 * Item: queued -> running -> done | skipped | failed | cancelled (running -> queued on recovery).
 */
export type ItemState = 'queued' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled';

export interface JobRow {
  id: number;
  state: JobState;
  settings: RestoreSettings;
  outputFolder: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why the whole job failed (an unusable output folder); per-photo errors are on the items. */
  error: string | null;
}

export interface JobItemRow {
  id: number;
  jobId: number;
  photoId: number;
  position: number;
  state: ItemState;
  attempts: number;
  /** Times the process stopped while restoring it (CRASH_LIMIT of them fail it). */
  crashes: number;
  error: string | null;
  /** Output names reserved for this item before its files were written. */
  outputs: OutputNames | null;
  finishedAt: string | null;
}

const JOB_STATES: readonly JobState[] = ['queued', 'running', 'paused', 'done', 'failed', 'cancelled'];
const ITEM_STATES: readonly ItemState[] = ['queued', 'running', 'done', 'skipped', 'failed', 'cancelled'];
export const FINAL_JOB_STATES: readonly JobState[] = ['done', 'failed', 'cancelled'];


interface RawJob {
  id: number;
  state: string;
  settings: string;
  output_folder: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

interface RawItem {
  id: number;
  job_id: number;
  photo_id: number;
  position: number;
  state: string;
  attempts: number;
  crashes: number;
  error: string | null;
  outputs: string | null;
  finished_at: string | null;
}

function toJob(r: RawJob): JobRow {
  if (!JOB_STATES.includes(r.state as JobState)) throw new Error(`job ${r.id} has an unknown state '${r.state}'`);
  return {
    id: r.id,
    state: r.state as JobState,
    settings: savedRestoreSettingsSchema.parse(JSON.parse(r.settings)),
    outputFolder: r.output_folder ?? '',
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
  };
}

function toItem(r: RawItem): JobItemRow {
  if (!ITEM_STATES.includes(r.state as ItemState)) throw new Error(`job item ${r.id} has an unknown state '${r.state}'`);
  return {
    id: r.id,
    jobId: r.job_id,
    photoId: r.photo_id,
    position: r.position,
    state: r.state as ItemState,
    attempts: r.attempts,
    crashes: r.crashes,
    error: r.error,
    outputs: r.outputs === null ? null : outputNamesSchema.parse(JSON.parse(r.outputs)),
    finishedAt: r.finished_at,
  };
}

export function createJob(db: LibraryDb, settings: RestoreSettings, outputFolder: string, photoIds: number[]): number {
  return db.transaction(() => {
    const info = db
      .prepare("INSERT INTO jobs (state, settings, output_folder, created_at) VALUES ('queued', ?, ?, ?)")
      .run(settingsKey(settings), path.resolve(outputFolder), nowIso());
    const jobId = Number(info.lastInsertRowid);
    addPhotos(db, jobId, photoIds);
    return jobId;
  })();
}

/** Appends photos not already in the job; returns how many were added. */
export function addPhotos(db: LibraryDb, jobId: number, photoIds: number[]): number {
  const max = db.prepare<[number], { m: number | null }>('SELECT MAX(position) AS m FROM job_items WHERE job_id = ?').get(jobId);
  let pos = (max?.m ?? -1) + 1;
  const insert = db.prepare("INSERT OR IGNORE INTO job_items (job_id, photo_id, position, state) VALUES (?, ?, ?, 'queued')");
  let added = 0;
  db.transaction(() => {
    for (const id of photoIds) added += insert.run(jobId, id, pos++).changes;
  })();
  return added;
}

export function getJob(db: LibraryDb, id: number): JobRow | null {
  const r = db.prepare<[number], RawJob>('SELECT * FROM jobs WHERE id = ?').get(id);
  return r === undefined ? null : toJob(r);
}

export function listJobs(db: LibraryDb): JobRow[] {
  return db.prepare<[], RawJob>('SELECT * FROM jobs ORDER BY id').all().map(toJob);
}

export function listItems(db: LibraryDb, jobId: number): JobItemRow[] {
  return db.prepare<[number], RawItem>('SELECT * FROM job_items WHERE job_id = ? ORDER BY position').all(jobId).map(toItem);
}

export function getItem(db: LibraryDb, id: number): JobItemRow | null {
  const r = db.prepare<[number], RawItem>('SELECT * FROM job_items WHERE id = ?').get(id);
  return r === undefined ? null : toItem(r);
}

/** The next queued items of a job in order, skipping `exclude` (items already prefetched). */
export function nextQueuedItems(db: LibraryDb, jobId: number, limit: number, exclude: ReadonlySet<number>): JobItemRow[] {
  const rows = db
    .prepare<[number, number], RawItem>("SELECT * FROM job_items WHERE job_id = ? AND state = 'queued' ORDER BY position LIMIT ?")
    .all(jobId, limit + exclude.size);
  return rows.map(toItem).filter((i) => !exclude.has(i.id)).slice(0, limit);
}

export function setJobState(db: LibraryDb, id: number, state: JobState, error: string | null = null): void {
  const now = nowIso();
  if (state === 'running') {
    db.prepare('UPDATE jobs SET state = ?, error = NULL, started_at = COALESCE(started_at, ?) WHERE id = ?').run(state, now, id);
  } else if (FINAL_JOB_STATES.includes(state)) {
    db.prepare('UPDATE jobs SET state = ?, error = ?, finished_at = ? WHERE id = ?').run(state, error, now, id);
  } else db.prepare('UPDATE jobs SET state = ? WHERE id = ?').run(state, id);
}

/** Marks an item as the one in progress (counting the attempt). */
export function claimItem(db: LibraryDb, itemId: number): void {
  db.prepare("UPDATE job_items SET state = 'running', attempts = attempts + 1, error = NULL WHERE id = ?").run(itemId);
}

export function reserveOutputs(db: LibraryDb, itemId: number, names: OutputNames): void {
  db.prepare('UPDATE job_items SET outputs = ? WHERE id = ?').run(JSON.stringify(names), itemId);
}

export function finishItem(db: LibraryDb, itemId: number, state: 'done' | 'skipped' | 'failed' | 'queued', error: string | null = null): void {
  db.prepare('UPDATE job_items SET state = ?, error = ?, finished_at = ? WHERE id = ?').run(
    state,
    error,
    state === 'queued' ? null : nowIso(),
    itemId,
  );
}

/**
 * A rerun of a job retries the photos that failed or were cancelled (a file may have been fixed),
 * except those that stopped the process CRASH_LIMIT times (they would take it down again).
 */
export function requeueUnfinished(db: LibraryDb, jobId: number): number {
  return db
    .prepare("UPDATE job_items SET state = 'queued', error = NULL WHERE job_id = ? AND state IN ('failed', 'cancelled') AND crashes < ?")
    .run(jobId, CRASH_LIMIT).changes;
}

/** A photo is retried after the process stopped under it once; the second time it is failed. */
export const CRASH_LIMIT = 2;

export const CRASHED_MESSAGE =
  'Heirloom stopped twice while restoring this photo (it may need more memory than this computer has), so it was skipped ' +
  'and the rest went on: try it again on its own, or without enlarging it (1x)';

/**
 * The process stopped while the item was in progress: count it; back to the queue for one more
 * try, or failed (with CRASHED_MESSAGE) at CRASH_LIMIT. Returns the item's new state.
 */
export function recordCrash(db: LibraryDb, itemId: number): 'queued' | 'failed' {
  return db.transaction(() => {
    db.prepare('UPDATE job_items SET crashes = crashes + 1 WHERE id = ?').run(itemId);
    const crashes = db.prepare<[number], { crashes: number }>('SELECT crashes FROM job_items WHERE id = ?').get(itemId)?.crashes ?? 0;
    if (crashes >= CRASH_LIMIT) {
      finishItem(db, itemId, 'failed', CRASHED_MESSAGE);
      return 'failed' as const;
    }
    finishItem(db, itemId, 'queued');
    return 'queued' as const;
  })();
}

/** Marks the items still waiting as cancelled. */
export function cancelQueuedItems(db: LibraryDb, jobId: number): void {
  db.transaction(() => {
    // Their photos leave the 'queued' status: back to what the library knows about them (a photo
    // that failed before keeps its reason and says Failed, never New).
    db.prepare(
      `UPDATE photos SET status = CASE
         WHEN error IS NOT NULL THEN 'failed'
         WHEN EXISTS (SELECT 1 FROM results r WHERE r.photo_id = photos.id AND r.error IS NULL) THEN 'restored'
         WHEN EXISTS (SELECT 1 FROM faces f WHERE f.photo_id = photos.id) THEN 'detected'
         ELSE 'new' END
       WHERE status IN ('queued', 'restoring')
         AND id IN (SELECT photo_id FROM job_items WHERE job_id = ? AND state IN ('queued', 'running'))`,
    ).run(jobId);
    db.prepare("UPDATE job_items SET state = 'cancelled' WHERE job_id = ? AND state IN ('queued', 'running')").run(jobId);
  })();
}

/** Output paths reserved by unfinished items in a folder (other photos must not take them). */
export function reservedOutputs(db: LibraryDb, folder: string): Set<string> {
  const rows = db
    .prepare<[string], { outputs: string }>(
      `SELECT i.outputs FROM job_items i JOIN jobs j ON j.id = i.job_id
       WHERE j.output_folder = ? AND i.outputs IS NOT NULL AND i.state IN ('queued', 'running')`,
    )
    .all(path.resolve(folder));
  const out = new Set<string>();
  for (const r of rows) {
    const n = outputNamesSchema.parse(JSON.parse(r.outputs));
    for (const p of [n.image, n.sideBySide, n.before, n.after, n.sidecar]) if (p !== null) out.add(p);
  }
  return out;
}

export interface JobCounts {
  total: number;
  queued: number;
  running: number;
  done: number;
  skipped: number;
  failed: number;
  cancelled: number;
}

export function countItems(db: LibraryDb, jobId: number): JobCounts {
  const c: JobCounts = { total: 0, queued: 0, running: 0, done: 0, skipped: 0, failed: 0, cancelled: 0 };
  const rows = db
    .prepare<[number], { state: string; n: number }>('SELECT state, COUNT(*) AS n FROM job_items WHERE job_id = ? GROUP BY state')
    .all(jobId);
  for (const r of rows) {
    if (ITEM_STATES.includes(r.state as ItemState)) c[r.state as ItemState] += r.n;
    c.total += r.n;
  }
  return c;
}

/**
 * After a crash: jobs left 'running' go back to 'queued' and their in-progress item is retried,
 * unless the process already stopped under that photo before (recordCrash): then it is failed,
 * so a photo that takes the process down cannot stop the album forever.
 * Returns the ids of the interrupted jobs (the caller resumes them).
 */
export function recoverInterrupted(db: LibraryDb): number[] {
  return db.transaction(() => {
    const ids = db.prepare<[], { id: number }>("SELECT id FROM jobs WHERE state = 'running'").all().map((r) => r.id);
    db.prepare("UPDATE jobs SET state = 'queued' WHERE state = 'running'").run();
    const inProgress = db
      .prepare<[], { id: number; photo_id: number }>(
        `SELECT id, photo_id FROM job_items WHERE state = 'running'
         AND job_id IN (SELECT id FROM jobs WHERE state IN ('queued', 'paused'))`,
      )
      .all();
    for (const item of inProgress) {
      if (recordCrash(db, item.id) === 'failed') {
        db.prepare("UPDATE photos SET status = 'failed', error = ? WHERE id = ?").run(CRASHED_MESSAGE, item.photo_id);
      }
    }
    db.prepare("UPDATE photos SET status = 'queued' WHERE status = 'restoring'").run();
    return ids;
  })();
}

/** An unfinished job with the same settings and output folder (a rerun of the same command). */
export function findResumableJob(db: LibraryDb, settings: RestoreSettings, outputFolder: string): JobRow | null {
  const key = settingsKey({ ...settings, device: 'auto' });
  const folder = path.resolve(outputFolder);
  const jobs = db
    .prepare<[string], RawJob>("SELECT * FROM jobs WHERE state IN ('queued', 'running', 'paused') AND output_folder = ? ORDER BY id DESC")
    .all(folder)
    .map(toJob);
  return jobs.find((j) => settingsKey({ ...j.settings, device: 'auto' }) === key) ?? null;
}

/** The oldest job waiting to run, if any. */
export function nextQueuedJob(db: LibraryDb): number | null {
  return db.prepare<[], { id: number }>("SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1").get()?.id ?? null;
}

/** The newest job not finished (queued or paused), if any. */
export function newestUnfinishedJob(db: LibraryDb): number | null {
  return db.prepare<[], { id: number }>("SELECT id FROM jobs WHERE state IN ('queued', 'paused') ORDER BY id DESC LIMIT 1").get()?.id ?? null;
}
