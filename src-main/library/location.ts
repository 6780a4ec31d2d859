import os from 'node:os';
import path from 'node:path';

/**
 * Where library databases live.
 * - The app keeps one library in its data folder (`HEIRLOOM_HOME` overrides it).
 * - The CLI keeps one per output folder, in `<output>/.heirloom/library.db`: the database sits
 *   next to the files it describes, so rerunning the same command resumes, and two unrelated
 *   batches never share state.
 */
export const LIBRARY_FILE = 'library.db';
export const BATCH_STATE_DIR = '.heirloom';

export function appLibraryFile(appDataDir: string = defaultAppDataDir()): string {
  return path.join(appDataDir, LIBRARY_FILE);
}

export function batchLibraryFile(outputFolder: string): string {
  return path.join(path.resolve(outputFolder), BATCH_STATE_DIR, LIBRARY_FILE);
}

/** Fallback until src-main/util/app-paths.ts provides the shared resolver. */
function defaultAppDataDir(): string {
  const home = process.env.HEIRLOOM_HOME;
  if (home !== undefined && home !== '') return path.resolve(home);
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'Heirloom');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Heirloom');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'heirloom');
}
