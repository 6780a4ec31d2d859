import path from 'node:path';
import type { LibraryDb } from '../library/db.ts';
import { getPhoto, latestResult } from '../library/photos.ts';
import { buildSummary, writeSummary, type SummaryEntry } from '../export/summary.ts';
import { getJob, listItems } from './job-store.ts';

/** Writes heirloom-summary.json/.csv for a job into its output folder, from the database. */
export function writeJobSummary(db: LibraryDb, jobId: number, model: string | null = null): string[] {
  const job = getJob(db, jobId);
  if (job === null) throw new Error(`no job ${jobId}`);
  const photos: SummaryEntry[] = listItems(db, jobId).map((item) => {
    const photo = getPhoto(db, item.photoId);
    const result = item.state === 'done' || item.state === 'skipped' ? latestResult(db, item.photoId) : null;
    const outcome = item.state === 'done' ? 'restored' : item.state === 'skipped' ? 'skipped' : item.state === 'failed' ? 'failed' : 'not-run';
    return {
      input: photo === null ? `photo ${item.photoId}` : photo.path,
      outcome,
      outputs: result === null ? [] : result.outputs.map((o) => path.relative(job.outputFolder, o)),
      faces: result === null ? null : countFaces(db, item.photoId),
      error: item.error,
      note: result?.note ?? null,
      totalMs: result?.timingsMs.totalMs ?? null,
    };
  });
  const summary = buildSummary({
    jobId,
    state: job.state,
    settings: job.settings,
    model,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    photos,
  });
  return writeSummary(job.outputFolder, summary);
}

function countFaces(db: LibraryDb, photoId: number): number {
  return db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM faces WHERE photo_id = ?').get(photoId)?.n ?? 0;
}
