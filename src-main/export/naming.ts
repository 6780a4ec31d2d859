import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { OutputFormat, PairMode } from '../../src-shared/settings.ts';
import { finishTargetsSchema } from '../../src-shared/worker-protocol.ts';

/**
 * Output names. Every file made from one photo shares one stem, so they sort together:
 *   <name>.restored.<ext>         the restored photo
 *   <name>.before-after.<ext>     side-by-side pair (pairs = 'side-by-side')
 *   <name>.before.<ext>, <name>.after.<ext>   two-file pair (pairs = 'files')
 *   <name>.restored.<ext>.json    sidecar (settings, model hash, seeds, timings)
 * When any of them is taken, the whole group moves to `<name> (2)`, `<name> (3)`, ...: an
 * existing file is never overwritten.
 */
export const outputNamesSchema = finishTargetsSchema.extend({ sidecar: z.string().min(1) });
/** A photo's files: where the batch's last step writes them, plus the sidecar. */
export type OutputNames = z.infer<typeof outputNamesSchema>;

export function extensionFor(format: OutputFormat): string {
  return format === 'jpg' ? 'jpg' : format === 'tiff' ? 'tif' : format;
}

/** Every path of a group, image first and sidecar last (the order they are committed in). */
export function allPaths(n: OutputNames): string[] {
  return [n.image, n.sideBySide, n.before, n.after, n.sidecar].filter((p): p is string => p !== null);
}

/** The pair files of a group (side-by-side, before, after), those asked for. */
export function pairPaths(n: OutputNames): string[] {
  return [n.sideBySide, n.before, n.after].filter((p): p is string => p !== null);
}

/** The same group with every path passed through `f` (e.g. to temporary names). */
export function mapNames(n: OutputNames, f: (p: string) => string): OutputNames {
  const opt = (p: string | null) => (p === null ? null : f(p));
  return { image: f(n.image), sideBySide: opt(n.sideBySide), before: opt(n.before), after: opt(n.after), sidecar: f(n.sidecar) };
}

export function namesFor(folder: string, stem: string, format: OutputFormat, pairs: PairMode): OutputNames {
  const ext = extensionFor(format);
  const p = (suffix: string) => path.join(folder, `${stem}.${suffix}.${ext}`);
  const image = p('restored');
  return {
    image,
    sideBySide: pairs === 'side-by-side' ? p('before-after') : null,
    before: pairs === 'files' ? p('before') : null,
    after: pairs === 'files' ? p('after') : null,
    sidecar: `${image}.json`,
  };
}

/** The input's name without its extension, made safe as a file name on every platform. */
export function stemOf(inputPath: string): string {
  const base = path.basename(inputPath, path.extname(inputPath));
  // eslint-disable-next-line no-control-regex
  const safe = base.replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_').replace(/[. ]+$/, '');
  return safe === '' ? 'photo' : safe;
}

/**
 * Picks the first free group of names for `inputPath` in `folder`. `taken` holds paths reserved
 * by other photos of unfinished batches (compared case-insensitively: Windows and macOS
 * file systems are).
 */
export function chooseOutputNames(
  folder: string,
  inputPath: string,
  format: OutputFormat,
  pairs: PairMode,
  taken: ReadonlySet<string> = new Set(),
  exists: (p: string) => boolean = existsSync,
): OutputNames {
  const stem = stemOf(inputPath);
  const lowerTaken = new Set([...taken].map((t) => t.toLowerCase()));
  for (let n = 1; n < 10_000; n++) {
    const names = namesFor(folder, n === 1 ? stem : `${stem} (${n})`, format, pairs);
    if (allPaths(names).every((p) => !exists(p) && !lowerTaken.has(p.toLowerCase()))) return names;
  }
  throw new Error(`no free output name for ${path.basename(inputPath)} in ${folder}`);
}
