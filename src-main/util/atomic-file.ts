import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from './pid.ts';

/**
 * Outputs are written under a temporary name in the destination folder, flushed, then renamed:
 * a crash or power cut leaves either the old state or the complete file, never half a file.
 * Temporary names carry the writer's pid so a later run can tell its own leftovers from a
 * batch still running in another process.
 */
const TEMP_PREFIX = '.heirloom-tmp-';
const TEMP_RE = /^\.heirloom-tmp-(\d+)-[0-9a-f]{8}\./;
/** Temporary names the pipeline encoder used before it wrote through this module (`.<name>.<pid>.<hex>.tmp`). */
const ENCODER_TEMP_RE = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** A temporary sibling of `finalPath` (hidden, same extension so encoders see the format). */
export function tempPathFor(finalPath: string): string {
  return path.join(path.dirname(finalPath), `${TEMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}.${path.basename(finalPath)}`);
}

export function isTempName(name: string): boolean {
  return TEMP_RE.test(name);
}

/** The file name a temporary name stands for (tempPathFor's inverse), for messages; other names as they are. */
export function finalNameOf(file: string): string {
  const name = path.basename(file);
  const m = TEMP_RE.exec(name);
  return m === null ? name : name.slice(m[0].length);
}

/** Flushes a written file to disk so the rename that follows cannot expose an empty file. */
export function fsyncFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Moves finished temporary files onto their final names (flushing each first). */
export function commitFiles(moves: { temp: string; final: string }[]): void {
  for (const m of moves) fsyncFile(m.temp);
  for (const m of moves) renameSync(m.temp, m.final);
  if (moves.length > 0) fsyncDir(path.dirname(moves[0].final));
}

export function discardFiles(paths: string[]): void {
  for (const p of paths) rmSync(p, { force: true });
}

/**
 * Writes one file atomically: `write` fills a temporary sibling, which is flushed and renamed onto
 * `finalPath`; on failure the temporary file is removed and the error rethrown.
 */
export async function writeFileAtomic(finalPath: string, write: (tempPath: string) => Promise<unknown>): Promise<void> {
  await mkdir(path.dirname(finalPath), { recursive: true });
  const temp = tempPathFor(finalPath);
  try {
    await write(temp);
    fsyncFile(temp);
    await rename(temp, finalPath);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** writeFileAtomic for small contents written synchronously (settings files). */
export function writeFileAtomicSync(finalPath: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(finalPath), { recursive: true });
  const temp = tempPathFor(finalPath);
  try {
    writeFileSync(temp, data);
    fsyncFile(temp);
    renameSync(temp, finalPath);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Removes our temporary files left by processes that no longer run. Returns the names removed. */
export function removeStaleTemps(folder: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP_RE.exec(name) ?? ENCODER_TEMP_RE.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    rmSync(path.join(folder, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Makes the renames durable (a no-op where directories cannot be opened, e.g. Windows). */
function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported on this platform
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
