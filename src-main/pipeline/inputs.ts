/**
 * Turning the user's files and folders into the list of photos to restore, and choosing each
 * output's name so that no output replaces an input or another output of the same batch.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { OutputFormat } from '../../src-shared/settings.ts';
import { UserError } from '../util/errors.ts';
import { FORMAT_EXTENSIONS } from './encode.ts';

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

/**
 * `<outDir>/<stem>.<ext>`; `<stem>-<srcext>.<ext>` when two inputs share a stem; `.restored` is
 * added when the name would be an input's own path.
 */
export function outputPathsFor(inputs: readonly string[], outDir: string, format: OutputFormat): string[] {
  const ext = FORMAT_EXTENSIONS[format];
  const stem = (p: string) => path.basename(p, path.extname(p));
  const counts = new Map<string, number>();
  for (const p of inputs) counts.set(stem(p).toLowerCase(), (counts.get(stem(p).toLowerCase()) ?? 0) + 1);
  const inputSet = new Set(inputs.map((p) => path.resolve(p)));
  return inputs.map((p) => {
    const s = stem(p);
    const base = (counts.get(s.toLowerCase()) ?? 0) > 1 ? `${s}-${path.extname(p).slice(1).toLowerCase()}` : s;
    let out = path.join(outDir, `${base}${ext}`);
    if (inputSet.has(path.resolve(out))) out = path.join(outDir, `${base}.restored${ext}`);
    return out;
  });
}
