import path from 'node:path';
import { appDataDir } from '../util/app-paths.ts';

/**
 * Where library databases live.
 * - The app keeps one library in its data folder (`HEIRLOOM_HOME` overrides it).
 * - The CLI keeps one per output folder, in `<output>/.heirloom/library.db`: the database sits
 *   next to the files it describes, so rerunning the same command resumes, and two unrelated
 *   batches never share state.
 */
export const LIBRARY_FILE = 'library.db';
export const BATCH_STATE_DIR = '.heirloom';
/** The file in BATCH_STATE_DIR holding the pid of the process restoring into the folder. */
export const BATCH_LOCK = 'lock';

export function appLibraryFile(dataDir: string = appDataDir()): string {
  return path.join(dataDir, LIBRARY_FILE);
}

export function batchLibraryFile(outputFolder: string): string {
  return path.join(path.resolve(outputFolder), BATCH_STATE_DIR, LIBRARY_FILE);
}
