import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Outputs are written under a temporary name in the destination folder, flushed, then renamed:
 * a crash or power cut leaves either the old state or the complete file, never half a file.
 * Temporary names carry the writer's pid so a later run can tell its own leftovers from a
 * batch still running in another process.
 */
const TEMP_PREFIX = '.heirloom-tmp-';
const TEMP_RE = /^\.heirloom-tmp-(\d+)-[0-9a-f]{8}\./;
/** The pipeline encoder's own temporary names (`.<name>.<pid>.<hex>.tmp`, pipeline/encode.ts). */
const ENCODER_TEMP_RE = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** A temporary sibling of `finalPath` (hidden, same extension so encoders see the format). */
export function tempPathFor(finalPath: string): string {
  return path.join(path.dirname(finalPath), `${TEMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}.${path.basename(finalPath)}`);
}

export function isTempName(name: string): boolean {
  return TEMP_RE.test(name);
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
    if (pid === process.pid || isAlive(pid)) continue;
    rmSync(path.join(folder, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
