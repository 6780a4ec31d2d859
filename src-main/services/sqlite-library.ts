/** LibraryPort over the SQLite library (src-main/library) plus the settings file. */
import type { DetectedFace, DetectionResult } from '../../src-shared/faces.ts';
import type { AppSettings, FaceChange, FaceRecord, ImportResult, PhotoAligned, PhotoDetail, PhotoSummary } from '../../src-shared/ipc.ts';
import type { LibraryDb } from '../library/db.ts';
import { importPaths, type ReadHeader } from '../library/import.ts';
import { isOutOfDate, outOfDateIds } from '../library/result-state.ts';
import {
  addFace,
  getFace,
  getPhoto,
  getPhotoDetail,
  latestResult,
  listFaces,
  listPhotos,
  removeFace,
  removePhotos,
  replaceFaces,
  setLooksAligned,
  setPhotoAligned,
  setPhotoDamageMask,
  setPhotoNote,
  setPhotoStatus,
  updateFace,
} from '../library/photos.ts';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/atomic-file.ts';
import { ServiceError } from './errors.ts';
import type { LibraryPort } from './ports.ts';
import type { SettingsStore } from './settings-store.ts';

export class SqliteLibrary implements LibraryPort {
  readonly #db: LibraryDb;
  readonly #settings: SettingsStore;
  readonly #readHeader: ReadHeader;

  readonly #masksDir: string | undefined;

  /**
   * `readHeader` reads a new photo's size in a worker process (MediaPort.imageHeader);
   * `masksDir` holds the users' damage masks (PNG files named by their sha256).
   */
  constructor(db: LibraryDb, settings: SettingsStore, readHeader: ReadHeader, masksDir?: string) {
    this.#db = db;
    this.#settings = settings;
    this.#readHeader = readHeader;
    this.#masksDir = masksDir;
  }

  setDamageMask(photoId: number, png: Uint8Array | null): void {
    if (getPhoto(this.#db, photoId) === null) throw new ServiceError('not-found', `no photo ${photoId}`);
    if (png === null) {
      setPhotoDamageMask(this.#db, photoId, null);
      return;
    }
    if (this.#masksDir === undefined) throw new ServiceError('failed', 'damage masks cannot be stored here');
    // Named by content: the result key takes the name, and an identical mask is stored once.
    const file = path.join(this.#masksDir, `${createHash('sha256').update(png).digest('hex')}.png`);
    if (!existsSync(file)) writeFileAtomicSync(file, png);
    setPhotoDamageMask(this.#db, photoId, file);
  }

  damageMaskPath(photoId: number): string | null {
    const p = getPhoto(this.#db, photoId);
    return p?.damageMask !== null && p?.damageMask !== undefined && existsSync(p.damageMask) ? p.damageMask : null;
  }

  async importPaths(paths: string[], options: { exclude: string[] }): Promise<ImportResult> {
    return (await importPaths(this.#db, paths, { ...options, readHeader: this.#readHeader })).result;
  }

  listPhotos(): PhotoSummary[] {
    const stale = outOfDateIds(this.#db, this.#settings.get().restore);
    return listPhotos(this.#db, (p) => stale.has(p.id));
  }

  getPhoto(photoId: number): PhotoDetail | null {
    const settings = this.#settings.get().restore;
    return getPhotoDetail(this.#db, photoId, (p) => isOutOfDate(this.#db, p, settings));
  }

  photoPath(photoId: number): string | null {
    return getPhoto(this.#db, photoId)?.path ?? null;
  }

  restoredPath(photoId: number): string | null {
    return latestResult(this.#db, photoId)?.outputPath ?? null;
  }

  removePhotos(photoIds: number[]): void {
    removePhotos(this.#db, photoIds);
  }

  setDetection(photoId: number, result: DetectionResult): void {
    // A face too small to restore is listed but starts excluded.
    const detected = result.faces.map((f) => ({ ...f, include: f.skipped === undefined }));
    // Faces the user drew stay (with their choices): the detector missed them before and will again.
    const manual = listFaces(this.#db, photoId).filter((f) => f.manual === true);
    const faces = [...detected, ...manual.map(({ id: _id, photoId: _p, ...f }) => f)];
    this.#db.transaction(() => {
      replaceFaces(this.#db, photoId, faces, this.#settings.get().restore.seed);
      setLooksAligned(this.#db, photoId, result.looksAligned === true);
      setPhotoNote(this.#db, photoId, result.damage ?? null);
    })();
  }

  setAligned(photoId: number, aligned: PhotoAligned): void {
    setPhotoAligned(this.#db, photoId, aligned);
  }

  addFace(photoId: number, face: DetectedFace): void {
    addFace(this.#db, photoId, face, this.#settings.get().restore.seed);
  }

  removeFace(faceId: number): void {
    removeFace(this.#db, faceId);
  }

  setFailed(photoId: number, error: string): void {
    setPhotoStatus(this.#db, photoId, 'failed', error);
  }

  getFace(faceId: number): FaceRecord | null {
    return getFace(this.#db, faceId);
  }

  updateFace(faceId: number, change: FaceChange): FaceRecord {
    const face = updateFace(this.#db, faceId, change);
    if (face === null) throw new ServiceError('not-found', `no face ${faceId}`);
    return face;
  }

  getSettings(): AppSettings {
    return this.#settings.get();
  }

  setSettings(settings: AppSettings): void {
    this.#settings.set(settings);
  }
}
