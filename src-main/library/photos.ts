import { faceSeed } from '../../src-shared/rules.ts';
import path from 'node:path';
import type { FaceChange, FaceRecord, PhotoAligned, PhotoDetail, PhotoStatus, PhotoSummary, RestoreResultSummary } from '../../src-shared/ipc.ts';
import type { DetectedFace, Point } from '../../src-shared/faces.ts';
import type { RestoreSettings } from '../../src-shared/settings.ts';
import { savedRestoreSettingsSchema } from '../../src-shared/ipc.ts';
import { nowIso, type LibraryDb } from './db.ts';

/** A photo row as the main process sees it (the renderer gets `PhotoSummary`, without the path). */
export interface PhotoRow {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
  hash: string;
  width: number | null;
  height: number | null;
  status: PhotoStatus;
  error: string | null;
  /** The user's aligned-input choice for this photo; null = the setting decides. */
  aligned: PhotoAligned;
  /** Its detected face already sits on the template (so the app offers aligned input). */
  looksAligned: boolean;
  note: string | null;
  /** The user's damage mask file (named by its sha256), or null: the detector decides. */
  damageMask: string | null;
}

const PHOTO_STATUSES: readonly PhotoStatus[] = ['new', 'detected', 'queued', 'restoring', 'restored', 'failed'];

interface RawPhoto {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  hash: string;
  width: number | null;
  height: number | null;
  status: string;
  error: string | null;
  aligned: string | null;
  looks_aligned: number;
  note: string | null;
  damage_mask: string | null;
}

function toRow(r: RawPhoto): PhotoRow {
  return {
    id: r.id,
    path: r.path,
    size: r.size,
    mtimeMs: r.mtime_ms,
    hash: r.hash,
    width: r.width,
    height: r.height,
    status: PHOTO_STATUSES.includes(r.status as PhotoStatus) ? (r.status as PhotoStatus) : 'failed',
    error: r.error,
    aligned: r.aligned === 'always' || r.aligned === 'never' ? r.aligned : null,
    looksAligned: r.looks_aligned === 1,
    note: r.note,
    damageMask: r.damage_mask ?? null,
  };
}

export function getPhoto(db: LibraryDb, id: number): PhotoRow | null {
  const r = db.prepare<[number], RawPhoto>('SELECT * FROM photos WHERE id = ?').get(id);
  return r === undefined ? null : toRow(r);
}

export function getPhotos(db: LibraryDb, ids: number[]): PhotoRow[] {
  return ids.map((id) => getPhoto(db, id)).filter((p): p is PhotoRow => p !== null);
}

/** Every photo; `outOfDate` (result-state.ts, for the app's current settings) marks stale results. */
export function listPhotos(db: LibraryDb, outOfDate?: (p: PhotoRow) => boolean): PhotoSummary[] {
  const rows = db
    .prepare<[], RawPhoto & { face_count: number }>(
      `SELECT p.*, (SELECT COUNT(*) FROM faces f WHERE f.photo_id = p.id) AS face_count
       FROM photos p ORDER BY p.path`,
    )
    .all();
  return rows.map((r) => {
    const row = toRow(r);
    return toSummary(row, r.face_count, outOfDate?.(row) ?? false);
  });
}

export function toSummary(p: PhotoRow, faceCount: number, outOfDate = false): PhotoSummary {
  return {
    id: p.id,
    name: path.basename(p.path),
    width: p.width,
    height: p.height,
    status: p.status,
    faceCount,
    error: p.error,
    note: p.note,
    outOfDate,
    aligned: p.aligned,
    looksAligned: p.looksAligned,
    editedMask: p.damageMask !== null,
  };
}

/** The user's per-photo aligned-input choice: 'always' / 'never', or null (the setting decides). */
export function setPhotoAligned(db: LibraryDb, id: number, aligned: PhotoAligned): void {
  db.prepare('UPDATE photos SET aligned = ? WHERE id = ?').run(aligned, id);
}

/** The user's damage mask file for a photo, or null (the detector decides). */
export function setPhotoDamageMask(db: LibraryDb, id: number, file: string | null): void {
  db.prepare('UPDATE photos SET damage_mask = ? WHERE id = ?').run(file, id);
}

/** Whether the photo's last detection found one face sitting on the template of a square photo. */
export function setLooksAligned(db: LibraryDb, id: number, looks: boolean): void {
  db.prepare('UPDATE photos SET looks_aligned = ? WHERE id = ?').run(looks ? 1 : 0, id);
}

/** The settings a photo is restored with: its own aligned-input choice overrides the setting. */
export function photoSettings(settings: RestoreSettings, photo: Pick<PhotoRow, 'aligned'>): RestoreSettings {
  return photo.aligned === null ? settings : { ...settings, aligned: photo.aligned };
}

/** The faces that decide a photo's result: none when it is restored whole as one aligned face. */
export function keyFaces<F>(settings: RestoreSettings, faces: readonly F[]): readonly F[] {
  return settings.aligned === 'always' ? [] : faces;
}

export function getPhotoDetail(db: LibraryDb, id: number, outOfDate?: (p: PhotoRow) => boolean): PhotoDetail | null {
  const p = getPhoto(db, id);
  if (p === null) return null;
  const faces = listFaces(db, id);
  return { ...toSummary(p, faces.length, outOfDate?.(p) ?? false), faces, result: latestResultSummary(db, id) };
}

export function setPhotoStatus(db: LibraryDb, id: number, status: PhotoStatus, error: string | null = null): void {
  db.prepare('UPDATE photos SET status = ?, error = ? WHERE id = ?').run(status, error, id);
}

/** What was wrong with the file though it could be read (null: nothing). */
export function setPhotoNote(db: LibraryDb, id: number, note: string | null): void {
  db.prepare('UPDATE photos SET note = ? WHERE id = ?').run(note, id);
}

/** Forgets photos (never touches the files). Their faces, results and job items go with them. */
export function removePhotos(db: LibraryDb, ids: number[]): void {
  const del = db.prepare('DELETE FROM photos WHERE id = ?');
  db.transaction(() => ids.forEach((id) => del.run(id)))();
}

// ---------- faces ----------

interface RawFace {
  id: number;
  photo_id: number;
  idx: number;
  box: string;
  points: string;
  score: number;
  include: number;
  seed: number;
  skipped: string | null;
  manual: number;
  fidelity: number | null;
}

function toFace(r: RawFace): FaceRecord {
  const face: FaceRecord = {
    id: r.id,
    photoId: r.photo_id,
    box: JSON.parse(r.box) as [number, number, number, number],
    points: JSON.parse(r.points) as [Point, Point, Point, Point, Point],
    score: r.score,
    include: r.include !== 0,
    seed: r.seed,
    fidelity: r.fidelity,
  };
  if (r.skipped === 'too-small') face.skipped = 'too-small';
  if (r.manual === 1) face.manual = true;
  return face;
}

export function listFaces(db: LibraryDb, photoId: number): FaceRecord[] {
  return db.prepare<[number], RawFace>('SELECT * FROM faces WHERE photo_id = ? ORDER BY idx').all(photoId).map(toFace);
}

/** Every photo's faces by photo id, in one query (library-wide checks). */
export function facesByPhoto(db: LibraryDb): Map<number, FaceRecord[]> {
  const out = new Map<number, FaceRecord[]>();
  for (const r of db.prepare<[], RawFace>('SELECT * FROM faces ORDER BY photo_id, idx').all()) {
    const list = out.get(r.photo_id) ?? [];
    list.push(toFace(r));
    out.set(r.photo_id, list);
  }
  return out;
}

/** The photos with this status. */
export function photosWithStatus(db: LibraryDb, status: PhotoStatus): PhotoRow[] {
  return db.prepare<[string], RawPhoto>('SELECT * FROM photos WHERE status = ?').all(status).map(toRow);
}

/**
 * Replaces a photo's faces with a new detection. A face without its own seed gets one derived
 * from `baseSeed`; faces start included unless said otherwise.
 */
export function replaceFaces(
  db: LibraryDb,
  photoId: number,
  faces: (DetectedFace & { seed?: number; include?: boolean; fidelity?: number | null })[],
  baseSeed: number,
): FaceRecord[] {
  const insert = db.prepare(
    'INSERT INTO faces (photo_id, idx, box, points, score, include, seed, skipped, manual, fidelity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    db.prepare('DELETE FROM faces WHERE photo_id = ?').run(photoId);
    faces.forEach((f, i) => {
      const seed = f.seed ?? faceSeed(baseSeed, i);
      const include = f.include === false ? 0 : 1;
      insert.run(photoId, i, JSON.stringify(f.box), JSON.stringify(f.points), f.score, include, seed >>> 0, f.skipped ?? null, f.manual ? 1 : 0, f.fidelity ?? null);
    });
    db.prepare("UPDATE photos SET status = 'detected', error = NULL WHERE id = ? AND status IN ('new', 'failed')").run(photoId);
  })();
  return listFaces(db, photoId);
}

/** Appends a face the user drew; it is included and gets the next face index's seed. */
export function addFace(db: LibraryDb, photoId: number, face: DetectedFace, baseSeed: number): FaceRecord[] {
  db.transaction(() => {
    const { n } = db.prepare<[number], { n: number }>('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM faces WHERE photo_id = ?').get(photoId) ?? { n: 0 };
    db.prepare('INSERT INTO faces (photo_id, idx, box, points, score, include, seed, skipped, manual) VALUES (?, ?, ?, ?, ?, 1, ?, NULL, 1)').run(
      photoId,
      n,
      JSON.stringify(face.box),
      JSON.stringify(face.points),
      face.score,
      faceSeed(baseSeed, n),
    );
    db.prepare("UPDATE photos SET status = 'detected', error = NULL WHERE id = ? AND status IN ('new', 'failed')").run(photoId);
  })();
  return listFaces(db, photoId);
}

/** Deletes one face. Indexes of the others are left as they are: seeds were fixed when they were made. */
export function removeFace(db: LibraryDb, faceId: number): void {
  db.prepare('DELETE FROM faces WHERE id = ?').run(faceId);
}

export function updateFace(db: LibraryDb, faceId: number, change: FaceChange): FaceRecord | null {
  if (change.include !== undefined) db.prepare('UPDATE faces SET include = ? WHERE id = ?').run(change.include ? 1 : 0, faceId);
  if (change.seed !== undefined) db.prepare('UPDATE faces SET seed = ? WHERE id = ?').run(change.seed >>> 0, faceId);
  if (change.fidelity !== undefined) db.prepare('UPDATE faces SET fidelity = ? WHERE id = ?').run(change.fidelity, faceId);
  return getFace(db, faceId);
}

export function getFace(db: LibraryDb, faceId: number): FaceRecord | null {
  const r = db.prepare<[number], RawFace>('SELECT * FROM faces WHERE id = ?').get(faceId);
  return r === undefined ? null : toFace(r);
}

// ---------- results ----------

export interface ResultRow {
  id: number;
  photoId: number;
  settings: RestoreSettings;
  /** The restored image. */
  outputPath: string | null;
  /** Every file written for the photo (image, pairs, sidecar). */
  outputs: string[];
  timingsMs: Record<string, number>;
  modelHash: string | null;
  photoHash: string | null;
  /** The result key it was made under (result-key.ts); null for results made before keys were kept. */
  key: string | null;
  error: string | null;
  /** What the user should know about this result (e.g. the scale was lowered, and why); null: nothing. */
  note: string | null;
  createdAt: string;
}

interface RawResult {
  id: number;
  photo_id: number;
  settings: string;
  output_path: string | null;
  outputs: string;
  timings: string;
  model_hash: string | null;
  photo_hash: string | null;
  result_key: string | null;
  error: string | null;
  note: string | null;
  created_at: string;
}

function toResult(r: RawResult): ResultRow {
  return {
    id: r.id,
    photoId: r.photo_id,
    settings: savedRestoreSettingsSchema.parse(JSON.parse(r.settings)),
    outputPath: r.output_path,
    outputs: JSON.parse(r.outputs) as string[],
    timingsMs: JSON.parse(r.timings) as Record<string, number>,
    modelHash: r.model_hash,
    photoHash: r.photo_hash,
    key: r.result_key,
    error: r.error,
    note: r.note ?? null,
    createdAt: r.created_at,
  };
}

export function addResult(db: LibraryDb, r: Omit<ResultRow, 'id' | 'createdAt' | 'note'> & { note?: string | null }): number {
  const info = db
    .prepare(
      `INSERT INTO results (photo_id, settings, output_path, outputs, timings, model_hash, photo_hash, result_key, error, note, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      r.photoId,
      settingsKey(r.settings),
      r.outputPath,
      JSON.stringify(r.outputs),
      JSON.stringify(r.timingsMs),
      r.modelHash,
      r.photoHash,
      r.key,
      r.error,
      r.note ?? null,
      nowIso(),
    );
  return Number(info.lastInsertRowid);
}

/** Latest successful result of a photo. */
export function latestResult(db: LibraryDb, photoId: number): ResultRow | null {
  const r = db
    .prepare<[number], RawResult>('SELECT * FROM results WHERE photo_id = ? AND error IS NULL ORDER BY id DESC LIMIT 1')
    .get(photoId);
  return r === undefined ? null : toResult(r);
}

/**
 * Results of a photo made from exactly this content under this result key, newest first.
 * A result from before keys were kept matches on its settings alone (the device aside).
 */
export function matchingResults(db: LibraryDb, photoId: number, photoHash: string, key: string, settings: RestoreSettings): ResultRow[] {
  return db
    .prepare<[number, string], RawResult>('SELECT * FROM results WHERE photo_id = ? AND photo_hash = ? AND error IS NULL ORDER BY id DESC')
    .all(photoId, photoHash)
    .map(toResult)
    .filter((r) => resultMatches(r, key, settings));
}

export function resultMatches(r: ResultRow, key: string, settings: RestoreSettings): boolean {
  if (r.key !== null) return r.key === key;
  return settingsKey({ ...r.settings, device: 'auto' }) === settingsKey({ ...settings, device: 'auto' });
}

function latestResultSummary(db: LibraryDb, photoId: number): RestoreResultSummary | null {
  const r = latestResult(db, photoId);
  if (r === null || r.outputPath === null) return null;
  return { settings: r.settings, outputName: path.basename(r.outputPath), finishedAt: r.createdAt, timingsMs: r.timingsMs };
}

/** Canonical JSON of settings (fixed key order) so equal settings compare equal in SQL. */
export function settingsKey(s: RestoreSettings): string {
  const { steps, fidelity, sampler, strength, consistency, seed, scale, format, quality, pairs, device, aligned, repair, fixColour } = s;
  // Values that existed before keep the key older jobs and results have: 'never' aligned (or
  // absent), fidelity 1 or 0 (mode 'flow' or 'mean'), the euler sampler over the whole flow.
  const a = aligned === undefined || aligned === 'never' ? {} : { aligned };
  const mode = fidelity === 1 ? 'flow' : fidelity === 0 ? 'mean' : undefined;
  const f = mode === undefined ? { fidelity } : { mode };
  const flow = { ...(sampler === 'euler' ? {} : { sampler }), ...(strength === 1 ? {} : { strength }), ...(consistency === 0 ? {} : { consistency }) };
  // Repair and colour correction are recorded when on (off = what every result before them did).
  const print = { ...(repair ? { repair } : {}), ...(fixColour ? { fixColour } : {}) };
  return JSON.stringify({ steps, ...f, seed, scale, format, quality, pairs, device, ...a, ...flow, ...print });
}
