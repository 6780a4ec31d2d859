import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { UserError } from './errors.ts';

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock file created exclusively, holding our pid. A lock whose process no longer runs (or that
 * holds our own pid) is stale and taken over. Returns how to release it, or the pid of the live
 * process holding it; other file system errors are thrown as they are.
 */
export function lockWithPid(file: string): { release: () => void } | { heldBy: number } {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return { release: () => releaseLock(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(readSmallFile(file));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) return { heldBy: pid };
    rmSync(file, { force: true }); // stale
  }
  throw new UserError(`cannot lock ${file}`);
}

/** The live process holding a lock file made by lockWithPid, or null (no lock, or a stale one). */
export function lockHolder(file: string): number | null {
  const pid = Number(readSmallFile(file));
  return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : null;
}

/**
 * Best effort: a lock left behind (the folder turned read-only or vanished) names a process that
 * is gone by the next run, which then takes it over; the error that stopped the run matters more.
 */
function releaseLock(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // left for the next run's stale-lock check
  }
}

/** A lock file's content ('' when it is gone or too big to hold a pid). */
function readSmallFile(file: string): string {
  try {
    return statSync(file).size < 64 ? readFileSync(file, 'utf8').trim() : '';
  } catch {
    return '';
  }
}
