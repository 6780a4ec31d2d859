import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImportResult } from '../../src-shared/ipc.ts';
import { fileError, findImages } from '../util/find-images.ts';
import { nowIso, type LibraryDb } from './db.ts';

/**
 * A photo's upright size from its header, or why it is not a readable image. A rejection means
 * the reader itself could not work (e.g. the image process cannot run here): the import stops.
 */
export type ReadHeader = (file: string) => Promise<{ width: number; height: number } | { error: string }>;

export interface ImportOptions {
  /** Folders never walked into (the output folder when it sits inside the input folder). */
  exclude?: string[];
  /** Reads headers in a worker process (sharp never runs in the app's main process). */
  readHeader: ReadHeader;
}

/** What an import did. `result` is the contract's `ImportResult` (added = new + changed). */
export interface ImportReport {
  result: ImportResult;
  /** Ids of new photos. */
  newIds: number[];
  /** Ids of known photos whose content changed (their faces and status were reset). */
  changedIds: number[];
}

/**
 * Imports files and folders (walked recursively, hidden entries skipped). A known file is
 * skipped when its size and mtime match; when they differ its content hash decides whether it
 * really changed (a copy or touch keeps the hash). New and changed files get their size from
 * the image header; a file whose header cannot be read is still recorded, as 'failed' with the
 * reason, so a batch reports it instead of dropping it.
 */
export async function importPaths(db: LibraryDb, inputs: string[], options: ImportOptions): Promise<ImportReport> {
  const found = await findImages(inputs, { recursive: true, exclude: options.exclude });
  const failed: ImportResult['failed'] = [...found.failed];
  const files = found.files;

  const byPath = db.prepare<[string], { id: number; size: number; mtime_ms: number; hash: string }>(
    'SELECT id, size, mtime_ms, hash FROM photos WHERE path = ?',
  );
  const touch = db.prepare('UPDATE photos SET size = ?, mtime_ms = ? WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO photos (path, size, mtime_ms, hash, width, height, status, error, added_at)
     VALUES (@path, @size, @mtime, @hash, @width, @height, @status, @error, @now)`,
  );
  const update = db.prepare(
    `UPDATE photos SET size = @size, mtime_ms = @mtime, hash = @hash, width = @width, height = @height,
       status = @status, error = @error, note = NULL WHERE id = @id`,
  );
  const dropFaces = db.prepare('DELETE FROM faces WHERE photo_id = ?');

  const photoIds: number[] = [];
  const newIds: number[] = [];
  const changedIds: number[] = [];
  let unchanged = 0;
  for (const file of [...new Set(files)]) {
    const name = path.basename(file);
    try {
      const st = await stat(file);
      const mtime = Math.floor(st.mtimeMs);
      const known = byPath.get(file);
      if (known !== undefined && known.size === st.size && known.mtime_ms === mtime) {
        unchanged++;
        photoIds.push(known.id);
        continue;
      }
      const hash = await hashFile(file);
      if (known !== undefined && known.hash === hash) {
        touch.run(st.size, mtime, known.id);
        unchanged++;
        photoIds.push(known.id);
        continue;
      }
      const header = await readHeader(options.readHeader, file).catch((err: unknown) => {
        throw new ReaderFailed(err);
      });
      const row = {
        path: file,
        size: st.size,
        mtime,
        hash,
        width: header.width,
        height: header.height,
        status: header.error === null ? 'new' : 'failed',
        error: header.error,
      };
      if (header.error !== null) failed.push({ name, error: header.error });
      if (known === undefined) {
        const id = Number(insert.run({ ...row, now: nowIso() }).lastInsertRowid);
        newIds.push(id);
        photoIds.push(id);
      } else {
        db.transaction(() => {
          update.run({ ...row, id: known.id });
          dropFaces.run(known.id);
        })();
        changedIds.push(known.id);
        photoIds.push(known.id);
      }
    } catch (err) {
      if (err instanceof ReaderFailed) throw err.cause;
      failed.push({ name, error: fileError(err) });
    }
  }
  return {
    result: { added: newIds.length + changedIds.length, unchanged, failed, photoIds },
    newIds,
    changedIds,
  };
}

/** sha256 of a file's bytes, streamed (scans can be hundreds of MB). */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The header reader failed (not the file): the import stops with its error. */
class ReaderFailed extends Error {
  constructor(cause: unknown) {
    super('the header reader failed', { cause });
  }
}

/** Upright size from the image header, or the reason it cannot be read. */
async function readHeader(read: ReadHeader, file: string): Promise<{ width: number | null; height: number | null; error: string | null }> {
  const m = await read(file);
  if ('error' in m) return { width: null, height: null, error: m.error };
  return { width: m.width, height: m.height, error: null };
}
