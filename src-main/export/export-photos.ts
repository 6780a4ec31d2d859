/**
 * The app's "Export" of one restored photo (and, if asked, its before/after pair) into a folder
 * the user picked, under the batch's naming scheme (naming.ts), never over an existing file.
 * Two cases:
 * - another folder: the restored file is copied under the first free group of names, with its
 *   sidecar (output names updated) and the pair files;
 * - the folder the batch wrote to: the restored file is already there, so only its pair is
 *   added, under the same stem (`x.restored.jpg` -> `x.before-after.jpg`).
 * Everything is written to temporary names and renamed at the end (atomic-file.ts).
 * Runs in the main process: it chooses names and copies files; the pair's pixels are made by
 * `writePair` (the inference process's `writePair` method in the app).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { FinishTargets } from '../../src-shared/worker-protocol.ts';
import { DEFAULT_SETTINGS, type OutputFormat, type PairMode } from '../../src-shared/settings.ts';
import { commitFiles, discardFiles, removeStaleTemps, tempPathFor } from '../util/atomic-file.ts';
import { UserError } from '../util/errors.ts';
import { chooseOutputNames, mapNames, namesFor, pairPaths, stemOf, type OutputNames } from './naming.ts';

/** Makes a before/after pair of a restored photo at the given (temporary) paths. */
export type PairWriter = (request: {
  original: string;
  restored: string;
  targets: Omit<FinishTargets, 'image'>;
  format: OutputFormat;
  quality: number;
  labels: boolean;
}) => Promise<void>;

export interface ExportRequest {
  original: string;
  restored: string;
  folder: string;
  pairs: PairMode;
  /** Encoder quality of the pair files; default: the sidecar's, else the default setting. */
  quality?: number;
  /** Write "Before" / "After" on side-by-side pairs. */
  labels?: boolean;
}

const FORMATS: Record<string, OutputFormat> = { '.jpg': 'jpg', '.jpeg': 'jpg', '.png': 'png', '.tif': 'tiff', '.tiff': 'tiff', '.webp': 'webp' };

/** Exports one photo; returns the absolute paths of its files in the export folder. */
export async function exportPhoto(req: ExportRequest, writePair: PairWriter): Promise<string[]> {
  const folder = path.resolve(req.folder);
  const restored = path.resolve(req.restored);
  const format = FORMATS[path.extname(restored).toLowerCase()];
  if (format === undefined) throw new UserError(`${path.basename(restored)}: not a restored image Heirloom wrote`);
  if (!existsSync(restored)) throw new UserError(`${path.basename(restored)}: the restored photo is missing (restore it again)`);
  removeStaleTemps(folder);
  const sidecar = readSidecar(`${restored}.json`);
  const quality = req.quality ?? sidecar?.quality ?? DEFAULT_SETTINGS.quality;

  const inPlace = path.dirname(restored) === folder;
  let names: OutputNames;
  if (inPlace) {
    const stem = path.basename(restored).replace(/\.restored\.[^.]+$/, '');
    names = { ...namesFor(folder, stem, format, req.pairs), image: restored };
    const pairFiles = pairPaths(names);
    // Labels change how a side-by-side looks: Heirloom's own pair next to its restored file is
    // rewritten (atomically) with them. Otherwise a pair that exists is already what was asked.
    const relabel = req.labels === true && req.pairs === 'side-by-side';
    const existing = pairFiles.filter((p) => existsSync(p)).length;
    if (existing === pairFiles.length && !relabel) return [restored, ...pairFiles];
    if (existing > 0 && existing < pairFiles.length) {
      throw new UserError(`${path.basename(pairFiles[0])}: some of the pair files already exist; move them away or export to another folder`);
    }
  } else {
    // Exported here before (its sidecar names the same photo): those files are replaced, no " (2)" copy.
    const sha = (sidecar?.json as { input?: { sha256?: unknown } } | undefined)?.input?.sha256;
    names = (typeof sha === 'string' ? earlierExport(folder, req.original, format, req.pairs, sha) : null) ?? chooseOutputNames(folder, req.original, format, req.pairs);
  }
  // The files this export creates; in place the restored file and its sidecar stay as they are.
  const finals = inPlace ? pairPaths(names) : [names.image, ...pairPaths(names), ...(sidecar === null ? [] : [names.sidecar])];
  const temps = new Map(finals.map((f) => [f, tempPathFor(f)]));
  // Paths to write to: a temporary name for each new file; the restored file itself in place.
  const temp = mapNames(names, (p) => temps.get(p) ?? p);
  try {
    if (!inPlace) await copyFile(restored, temp.image);
    if (req.pairs !== 'none') {
      const targets = { sideBySide: temp.sideBySide, before: temp.before, after: temp.after };
      await writePair({ original: req.original, restored, targets, format, quality, labels: req.labels ?? false });
    }
    if (!inPlace && sidecar !== null) {
      const output = { image: path.basename(names.image), pairs: pairPaths(names).map((n) => path.basename(n)) };
      writeFileSync(temp.sidecar, `${JSON.stringify({ ...sidecar.json, output }, null, 2)}\n`);
    }
    commitFiles(finals.map((final) => ({ final, temp: temps.get(final)! })));
  } catch (err) {
    discardFiles([...temps.values()]);
    throw err;
  }
  return inPlace ? [restored, ...finals] : finals;
}

/**
 * The group of names an earlier export of the same photo (same input sha256 in its sidecar) used
 * in this folder, if any: exporting again replaces those files.
 */
function earlierExport(folder: string, original: string, format: OutputFormat, pairs: PairMode, sha256: string): OutputNames | null {
  const stem = stemOf(original);
  for (let n = 1; n < 100; n++) {
    const names = namesFor(folder, n === 1 ? stem : `${stem} (${n})`, format, pairs);
    if (!existsSync(names.image) && !existsSync(names.sidecar)) return null;
    const json = readSidecar(names.sidecar)?.json as { input?: { sha256?: unknown } } | undefined;
    if (json?.input?.sha256 === sha256) return names;
  }
  return null;
}

/** The batch's sidecar of a restored file, if it has a readable one. */
function readSidecar(file: string): { json: Record<string, unknown>; quality: number | undefined } | null {
  if (!existsSync(file)) return null;
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof json !== 'object' || json === null || (json as { format?: unknown }).format !== 'heirloom-sidecar') return null;
    const settings = (json as { settings?: { quality?: unknown } }).settings;
    const quality = typeof settings?.quality === 'number' ? settings.quality : undefined;
    return { json: json as Record<string, unknown>, quality };
  } catch {
    return null;
  }
}
