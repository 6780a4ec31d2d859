/**
 * An in-memory LibraryPort for unit tests of the services (the app uses SqliteLibrary). Same
 * observable behaviour as the real one for what the services use: import by path with
 * per-file errors, detection results, face edits, settings.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { DetectedFace, DetectionResult } from '../../src-shared/faces.ts';
import type { AppSettings, FaceRecord, ImportResult, PhotoDetail, PhotoSummary } from '../../src-shared/ipc.ts';
import { DEFAULT_SETTINGS } from '../../src-shared/settings.ts';
import { isImageFile } from '../worker/pipeline/inputs.ts';
import type { LibraryPort } from './ports.ts';

interface Photo {
  summary: PhotoSummary;
  path: string;
  restored: string | null;
  faceIds: number[];
}

export class MemoryLibrary implements LibraryPort {
  readonly #photos = new Map<number, Photo>();
  readonly #faces = new Map<number, FaceRecord>();
  #settings: AppSettings = { restore: { ...DEFAULT_SETTINGS }, outputFolder: null };
  #nextPhoto = 1;
  #nextFace = 1;

  async importPaths(paths: string[], options: { exclude: string[] }): Promise<ImportResult> {
    const failed: ImportResult['failed'] = [];
    const files: string[] = [];
    const exclude = options.exclude.map((p) => path.resolve(p));
    const walk = async (dir: string): Promise<void> => {
      if (exclude.includes(dir)) return;
      const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile() && isImageFile(e.name)) files.push(p);
      }
    };
    for (const raw of paths) {
      const p = path.resolve(raw);
      try {
        const s = await stat(p);
        if (s.isDirectory()) await walk(p);
        else files.push(p);
      } catch {
        failed.push({ name: path.basename(p), error: 'file not found' });
      }
    }
    let added = 0;
    let unchanged = 0;
    const photoIds: number[] = [];
    for (const file of new Set(files)) {
      const known = [...this.#photos.values()].find((ph) => ph.path === file);
      if (known) {
        unchanged++;
        photoIds.push(known.summary.id);
        continue;
      }
      let width: number | null = null;
      let height: number | null = null;
      let error: string | null = null;
      try {
        const m = await sharp(file).metadata();
        width = m.autoOrient.width;
        height = m.autoOrient.height;
      } catch (err) {
        error = `not a readable image (${(err as Error).message})`;
        failed.push({ name: path.basename(file), error });
      }
      const id = this.#nextPhoto++;
      const summary: PhotoSummary = { id, name: path.basename(file), width, height, status: error ? 'failed' : 'new', faceCount: 0, error };
      this.#photos.set(id, { summary, path: file, restored: null, faceIds: [] });
      added++;
      photoIds.push(id);
    }
    return { added, unchanged, failed, photoIds };
  }

  listPhotos(): PhotoSummary[] {
    return [...this.#photos.values()].map((p) => ({ ...p.summary }));
  }

  getPhoto(photoId: number): PhotoDetail | null {
    const p = this.#photos.get(photoId);
    if (!p) return null;
    return { ...p.summary, faces: p.faceIds.map((f) => ({ ...this.#faces.get(f)! })), result: null };
  }

  photoPath(photoId: number): string | null {
    return this.#photos.get(photoId)?.path ?? null;
  }

  restoredPath(photoId: number): string | null {
    return this.#photos.get(photoId)?.restored ?? null;
  }

  /** Test hook: records a restored output file for a photo. */
  setRestored(photoId: number, file: string): void {
    const p = this.#photos.get(photoId);
    if (p) {
      p.restored = file;
      p.summary.status = 'restored';
    }
  }

  removePhotos(photoIds: number[]): void {
    for (const id of photoIds) {
      for (const f of this.#photos.get(id)?.faceIds ?? []) this.#faces.delete(f);
      this.#photos.delete(id);
    }
  }

  setDetection(photoId: number, result: DetectionResult): void {
    const p = this.#photos.get(photoId);
    if (!p) return;
    // Faces the user drew stay, after the detected ones.
    const manual = p.faceIds.filter((f) => this.#faces.get(f)?.manual === true);
    for (const f of p.faceIds) if (!manual.includes(f)) this.#faces.delete(f);
    p.faceIds = result.faces.map((face, i) => {
      const id = this.#nextFace++;
      this.#faces.set(id, { ...face, id, photoId, include: face.skipped === undefined, seed: (this.#settings.restore.seed + i) >>> 0 });
      return id;
    });
    p.faceIds.push(...manual);
    Object.assign(p.summary, { status: 'detected', faceCount: p.faceIds.length, error: null, width: result.width, height: result.height });
  }

  addFace(photoId: number, face: DetectedFace): void {
    const p = this.#photos.get(photoId);
    if (!p) return;
    const id = this.#nextFace++;
    const seed = (this.#settings.restore.seed + p.faceIds.length) >>> 0;
    this.#faces.set(id, { ...face, manual: true, id, photoId, include: true, seed });
    p.faceIds.push(id);
    Object.assign(p.summary, { status: p.summary.status === 'new' ? 'detected' : p.summary.status, faceCount: p.faceIds.length });
  }

  removeFace(faceId: number): void {
    const f = this.#faces.get(faceId);
    const p = f ? this.#photos.get(f.photoId) : undefined;
    this.#faces.delete(faceId);
    if (p) {
      p.faceIds = p.faceIds.filter((id) => id !== faceId);
      p.summary.faceCount = p.faceIds.length;
    }
  }

  setFailed(photoId: number, error: string): void {
    const p = this.#photos.get(photoId);
    if (p) Object.assign(p.summary, { status: 'failed', error });
  }

  getFace(faceId: number): FaceRecord | null {
    const f = this.#faces.get(faceId);
    return f ? { ...f } : null;
  }

  updateFace(faceId: number, change: { include?: boolean; seed?: number }): FaceRecord {
    const f = this.#faces.get(faceId);
    if (!f) throw new Error(`no face ${faceId}`);
    if (change.include !== undefined) f.include = change.include;
    if (change.seed !== undefined) f.seed = change.seed;
    return { ...f };
  }

  getSettings(): AppSettings {
    return structuredClone(this.#settings);
  }

  setSettings(settings: AppSettings): void {
    this.#settings = structuredClone(settings);
  }
}
