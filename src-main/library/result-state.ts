/**
 * Where a photo's result stands against what the user asks now: the one place its result key is
 * made (the queue's check, the result it records, the gallery's "Out of date"), whether its
 * latest result is out of date, and results whose files a newer one replaced.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { RestoreSettings } from '../../src-shared/settings.ts';
import type { LibraryDb } from './db.ts';
import { facesByPhoto, keyFaces, latestResult, listFaces, photoSettings, photosWithStatus, resultMatches, type PhotoRow, type ResultRow } from './photos.ts';
import { resultKey, type FaceDecisionSource, type PhotoInputs } from './result-key.ts';

/** The result key of a photo as the app restores it now: these settings and its stored faces. */
export function currentKey(db: LibraryDb, photo: PhotoRow, settings: RestoreSettings): string {
  return photoResultKey(settings, photo, listFaces(db, photo.id));
}

/**
 * The one place a photo's result key is made (the queue's check, the result it records, the
 * gallery's "Out of date"): the job's or app's settings with the photo's own overrides, the faces
 * that decide the picture (null: the CLI detects them itself), and the photo's own inputs.
 */
export function photoResultKey(settings: RestoreSettings, photo: PhotoRow, faces: readonly FaceDecisionSource[] | null): string {
  const s = photoSettings(settings, photo);
  return resultKey(s, faces === null ? null : keyFaces(s, faces), photoInputs(photo));
}

/**
 * Per-photo inputs beyond settings and faces that change the picture, by name (e.g. a repair
 * mask's sha256). Add a stage's input here; an absent one must leave the key unchanged.
 */
export function photoInputs(photo: PhotoRow): PhotoInputs {
  // The mask file is named by its sha256 (SqliteLibrary.setDamageMask).
  return photo.damageMask === null ? {} : { damageMask: path.basename(photo.damageMask, '.png') };
}

/**
 * Whether a restored photo's latest result no longer matches the photo: its bytes changed, the
 * settings or its face decisions differ from those the result was made with, or its file is gone.
 */
export function isOutOfDate(db: LibraryDb, photo: PhotoRow, settings: RestoreSettings): boolean {
  if (photo.status !== 'restored') return false;
  const r = latestResult(db, photo.id);
  return r !== null && stale(r, photo, () => resultMatches(r, currentKey(db, photo, settings), photoSettings(settings, photo)));
}

/**
 * The ids of every restored photo whose latest result is out of date (isOutOfDate for the whole
 * library in three queries: the gallery lists thousands of photos on every change).
 */
export function outOfDateIds(db: LibraryDb, settings: RestoreSettings): Set<number> {
  const latest = new Map(
    db
      .prepare<[], { photo_id: number; photo_hash: string | null; result_key: string | null; output_path: string | null }>(
        'SELECT photo_id, photo_hash, result_key, output_path FROM results WHERE id IN (SELECT MAX(id) FROM results WHERE error IS NULL GROUP BY photo_id)',
      )
      .all()
      .map((r) => [r.photo_id, r]),
  );
  const faces = facesByPhoto(db);
  const out = new Set<number>();
  for (const photo of photosWithStatus(db, 'restored')) {
    const r = latest.get(photo.id);
    if (r === undefined) continue;
    // A result from before keys were kept: the one-photo check knows how to compare it.
    const key = r.result_key;
    const outOfDate =
      key === null
        ? isOutOfDate(db, photo, settings)
        : stale({ outputPath: r.output_path, photoHash: r.photo_hash }, photo, () => key === photoResultKey(settings, photo, faces.get(photo.id) ?? []));
    if (outOfDate) out.add(photo.id);
  }
  return out;
}

/** The one test behind both: the result's file, the photo's bytes, then (only if needed) its key. */
function stale(r: Pick<ResultRow, 'outputPath' | 'photoHash'>, photo: PhotoRow, keyMatches: () => boolean): boolean {
  // Its file deleted outside the app: restoring again is the way back (the queue redoes it too).
  if (r.outputPath !== null && !existsSync(r.outputPath)) return true;
  return r.photoHash !== photo.hash || !keyMatches();
}

/**
 * A new result of the photo wrote over files of earlier ones (restored again into the same
 * names): those results no longer have files of their own, so they can never count as done.
 */
export function releaseOverwritten(db: LibraryDb, photoId: number, keepId: number, written: readonly string[]): void {
  const paths = new Set(written);
  const rows = db.prepare<[number, number], { id: number; outputs: string }>('SELECT id, outputs FROM results WHERE photo_id = ? AND id != ?').all(photoId, keepId);
  const clear = db.prepare("UPDATE results SET outputs = '[]' WHERE id = ?");
  for (const r of rows) if ((JSON.parse(r.outputs) as string[]).some((o) => paths.has(o))) clear.run(r.id);
}

