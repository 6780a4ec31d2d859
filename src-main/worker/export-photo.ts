/**
 * Export of one restored photo into a folder the user picked: a copy of the restored file and,
 * if asked, its before/after pair (the original scaled to the restored size), under the export
 * naming scheme; written to temporary names and renamed, never overwriting a file.
 */
import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { OutputFormat, PairMode } from '../../src-shared/settings.ts';
import { commitFiles, discardFiles, tempPathFor } from '../util/atomic-file.ts';
import { chooseOutputNames, namesFor, pairPaths } from '../export/naming.ts';
import { decodePhoto } from '../pipeline/decode.ts';
import { writePairs } from '../pipeline/pairs.ts';
import { scaleRaster } from '../pipeline/scale.ts';
import { UserError } from '../util/errors.ts';

const FORMATS: Record<string, OutputFormat> = { '.jpg': 'jpg', '.jpeg': 'jpg', '.png': 'png', '.tif': 'tiff', '.tiff': 'tiff', '.webp': 'webp' };

export async function exportPhoto(req: { original: string; restored: string; folder: string; pairs: PairMode; quality: number }): Promise<string[]> {
  const format = FORMATS[path.extname(req.restored).toLowerCase()];
  if (format === undefined) throw new UserError(`${path.basename(req.restored)}: not a restored image Heirloom wrote`);
  // Exporting into the folder the batch wrote to: the restored file is already there, so only
  // its pair is added, under the same stem (`x.restored.jpg` -> `x.before-after.jpg`).
  const inPlace = path.resolve(path.dirname(req.restored)) === path.resolve(req.folder);
  const stem = path.basename(req.restored).replace(/\.restored\.[^.]+$/, '');
  const names = inPlace ? { ...namesFor(req.folder, stem, format, req.pairs), image: req.restored } : chooseOutputNames(req.folder, req.original, format, req.pairs);
  const pairFiles = pairPaths(names);
  if (inPlace && pairFiles.every((p) => existsSync(p))) return [names.image, ...pairFiles];
  if (inPlace && pairFiles.some((p) => existsSync(p))) {
    throw new UserError(`${path.basename(pairFiles[0])}: some of the pair files already exist; move them away or export to another folder`);
  }
  const finals = inPlace ? pairFiles : [names.image, ...pairFiles];
  const temps = new Map(finals.map((f) => [f, tempPathFor(f)]));
  const t = (p: string | null): string | null => (p === null ? null : (temps.get(p) ?? null));
  try {
    if (!inPlace) await copyFile(req.restored, t(names.image)!);
    if (req.pairs !== 'none') {
      const photo = await decodePhoto(req.original);
      const after = (await decodePhoto(req.restored)).image;
      const k = after.width / photo.image.width;
      if (![1, 2, 4].includes(k) || after.height !== photo.image.height * k) {
        throw new UserError(`${path.basename(req.restored)} is not a 1x, 2x or 4x restoration of ${path.basename(req.original)} (was the original changed?)`);
      }
      const before = await scaleRaster(photo.image, k);
      const encode = { format, quality: req.quality, scale: k, protect: [req.original, req.restored] };
      const image = inPlace ? req.restored : t(names.image)!;
      await writePairs(before, after, photo, encode, { image, sideBySide: t(names.sideBySide), before: t(names.before), after: t(names.after) });
    }
    commitFiles(finals.map((final) => ({ final, temp: temps.get(final)! })));
    return inPlace ? [names.image, ...pairFiles] : finals;
  } catch (err) {
    discardFiles([...temps.values()]);
    throw err;
  }
}
