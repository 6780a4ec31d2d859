import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

/** Longest side of gallery thumbnails. */
export const THUMB_SIZE = 320;
/** Longest side of the viewer's before/after images (browsers cannot show TIFF or 16-bit). */
export const PREVIEW_SIZE = 4096;

export interface CachedFile {
  path: string;
  mime: string;
}

/**
 * Display copies of the user's photos, made with sharp in the app's cache folder (never next
 * to the user's files). A copy is keyed by the source's size and mtime, so a changed source or
 * a new restored output gets a fresh copy.
 */
export class MediaCache {
  readonly #dir: string;
  readonly #inflight = new Map<string, Promise<CachedFile>>();

  constructor(cacheDir: string) {
    this.#dir = cacheDir;
  }

  get dir(): string {
    return this.#dir;
  }

  /** Where per-face images (aligned, mean, flow) of a face live. */
  facePath(faceId: number, variant: 'aligned' | 'mean' | 'flow'): string {
    return path.join(this.#dir, 'faces', `${faceId}-${variant}.png`);
  }

  thumbnail(photoId: number, source: string): Promise<CachedFile> {
    return this.#derived('thumbs', photoId, source, THUMB_SIZE, 80);
  }

  preview(kind: 'original' | 'restored', photoId: number, source: string): Promise<CachedFile> {
    return this.#derived(kind, photoId, source, PREVIEW_SIZE, 90);
  }

  /** Drops every cached copy of a photo (after it leaves the library). */
  async forgetPhoto(photoId: number): Promise<void> {
    // Names start with the id, e.g. thumbs/12-<size>-<mtime>.jpg.
    for (const sub of ['thumbs', 'original', 'restored']) {
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
        await sharp(source, { failOn: 'none', sequentialRead: true })
          .rotate()
          .resize(size, size, { fit: 'inside', withoutEnlargement: true })
          .flatten({ background: '#ffffff' })
          .toColourspace('srgb')
          .jpeg({ quality, mozjpeg: false })
          .toFile(tmp);
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
