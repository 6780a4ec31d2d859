/** Whether a batch's output folder can take its files, in words a user can act on. */
import { accessSync, constants, statSync } from 'node:fs';

/** A job that cannot go on (its output folder vanished or is read-only): every photo would fail. */
export class JobFatalError extends Error {}

/** Throws a clear error when the output folder is missing, not a folder or not writable. */
export function checkOutputFolder(folder: string): void {
  const problem = folderProblem(folder);
  if (problem !== null) throw problem;
}

export function folderProblem(folder: string): JobFatalError | null {
  try {
    if (!statSync(folder).isDirectory()) return new JobFatalError(`the output folder ${folder} is not a folder`);
    accessSync(folder, constants.W_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new JobFatalError(`the output folder ${folder} does not exist (was it removed or unplugged?)`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new JobFatalError(`the output folder ${folder} is read-only`);
    return new JobFatalError(`the output folder ${folder} cannot be used: ${errorMessage(err)}`);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
