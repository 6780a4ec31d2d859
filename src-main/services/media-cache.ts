import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FaceRecord } from '../../src-shared/ipc.ts';
import type { MediaPort } from './ports.ts';

/** Longest side of gallery thumbnails. */
export const THUMB_SIZE = 320;
/** Longest side of the viewer's before/after images (browsers cannot show TIFF or 16-bit). */
export const PREVIEW_SIZE = 4096;

/** What names a face's cached images. */
export type CachedFace = Pick<FaceRecord, 'id' | 'photoId' | 'box' | 'points'>;

export interface CachedFile {
  path: string;
  mime: string;
}

/**
 * Display copies of the user's photos in the app's cache folder (never next to the user's
 * files), made by a worker process (`render`). A copy is keyed by the source's size and mtime,
 * so a changed source or a new restored output gets a fresh copy.
 */
export class MediaCache {
  readonly #dir: string;
  readonly #render: MediaPort['displayCopy'];
  readonly #inflight = new Map<string, Promise<CachedFile>>();

  constructor(cacheDir: string, render: MediaPort['displayCopy']) {
    this.#dir = cacheDir;
    this.#render = render;
  }

  get dir(): string {
    return this.#dir;
  }

  /**
   * Where per-face images (aligned, mean, flow) of a face live. The name carries the photo and a
   * hash of the face's geometry besides its id, so a crop is only served for the face it was made
   * from (before library v10, SQLite gave deleted faces' ids to new ones).
   */
  facePath(face: CachedFace, variant: 'aligned' | 'mean' | 'flow'): string {
    const key = createHash('sha256').update(JSON.stringify([face.box, face.points])).digest('hex').slice(0, 12);
    return path.join(this.#dir, 'faces', `${face.photoId}-${face.id}-${key}-${variant}.png`);
  }

  /** A gallery thumbnail of the photo's original, or of its restored file once there is one. */
  thumbnail(photoId: number, source: string, of: 'original' | 'restored' = 'original'): Promise<CachedFile> {
    return this.#derived(of === 'restored' ? 'thumbs-restored' : 'thumbs', photoId, source, THUMB_SIZE, 80);
  }

  preview(kind: 'original' | 'restored', photoId: number, source: string): Promise<CachedFile> {
    return this.#derived(kind, photoId, source, PREVIEW_SIZE, 90);
  }

  /** Drops every cached copy of a photo (after it leaves the library). */
  async forgetPhoto(photoId: number): Promise<void> {
    // Names start with the photo id, e.g. thumbs/12-<size>-<mtime>.jpg, faces/12-<face>-<key>-aligned.png.
    for (const sub of ['thumbs', 'thumbs-restored', 'original', 'restored', 'faces']) {
      const dir = path.join(this.#dir, sub);
      let names: string[] = [];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      await Promise.all(names.filter((n) => n.startsWith(`${photoId}-`)).map((n) => rm(path.join(dir, n), { force: true })));
    }
  }

  /** Drops a face's aligned crop and previews (after the face is removed). */
  async forgetFace(face: CachedFace): Promise<void> {
    await Promise.all((['aligned', 'mean', 'flow'] as const).map((v) => rm(this.facePath(face, v), { force: true })));
  }

  async #derived(sub: string, photoId: number, source: string, size: number, quality: number): Promise<CachedFile> {
    const s = await stat(source);
    const out = path.join(this.#dir, sub, `${photoId}-${s.size}-${Math.round(s.mtimeMs)}.jpg`);
    const done: CachedFile = { path: out, mime: 'image/jpeg' };
    try {
      await stat(out);
      return done;
    } catch {
      // not cached yet
    }
    // Two image elements asking at once share one resize.
    const running = this.#inflight.get(out);
    if (running) return running;
    const job = (async () => {
      await mkdir(path.dirname(out), { recursive: true });
      const tmp = `${out}.${process.pid}.tmp`;
      try {
        await this.#render({ source, out: tmp, size, quality });
        await rename(tmp, out);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      return done;
    })();
    this.#inflight.set(out, job);
    try {
      return await job;
    } finally {
      this.#inflight.delete(out);
    }
  }
}
