/**
 * Turning the user's files and folders into the list of photos to restore (output names are
 * export/naming.ts's).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../util/errors.ts';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.heic', '.heif', '.avif'];

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** Files are taken as given; folders give their image files (sorted; subfolders with `recursive`). */
export async function expandInputs(inputs: readonly string[], options: { recursive?: boolean } = {}): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    const key = path.resolve(p);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  };
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (options.recursive && !e.name.startsWith('.')) await walk(p);
      } else if (e.isFile() && isImageFile(e.name) && !e.name.startsWith('.')) add(p);
    }
  };
  for (const input of inputs) {
    const stat = await fs.stat(input).catch(() => undefined);
    if (!stat) throw new UserError(`${input}: no such file or folder`);
    if (stat.isDirectory()) await walk(input);
    else add(input);
  }
  return out;
}
