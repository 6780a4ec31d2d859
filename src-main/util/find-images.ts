/**
 * The one walk from the user's files and folders to the photos in them, used by the CLI and the
 * library import: files are taken as given; folders give their image files sorted by name,
 * hidden entries skipped, subfolders walked when `recursive`, `exclude`d folders (an output
 * folder inside an input folder) never entered, also when reached by another path (folders are
 * compared by real path, through symlinks).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isImageName } from '../../src-shared/rules.ts';
import { realPathOf } from './real-path.ts';

export interface FindImagesOptions {
  recursive?: boolean;
  /** Folders never walked into. */
  exclude?: readonly string[];
}

export interface FoundImages {
  /** Absolute paths, in the order given (each folder's files sorted), without duplicates. */
  files: string[];
  /** Inputs that are missing or not files or folders, with a reason for the user. */
  failed: { name: string; error: string }[];
}

export async function findImages(inputs: readonly string[], options: FindImagesOptions = {}): Promise<FoundImages> {
  const exclude = new Set(await Promise.all((options.exclude ?? []).map((p) => realPathOf(p))));
  const seen = new Set<string>();
  const files: string[] = [];
  const failed: FoundImages['failed'] = [];
  const add = (p: string) => {
    if (!seen.has(p)) {
      seen.add(p);
      files.push(p);
    }
  };
  const walk = async (dir: string): Promise<void> => {
    if (exclude.has(await realPathOf(dir))) return;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (options.recursive) await walk(p);
      } else if (e.isFile() && isImageName(e.name)) add(p);
    }
  };
  for (const input of inputs) {
    const abs = path.resolve(input);
    try {
      const st = await stat(abs);
      if (st.isDirectory()) await walk(abs);
      else if (st.isFile()) add(abs);
      else failed.push({ name: path.basename(abs), error: 'not a regular file' });
    } catch (err) {
      failed.push({ name: path.basename(abs), error: fileError(err) });
    }
  }
  return { files, failed };
}

/** A file system error in words. */
export function fileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}
