/**
 * The app's "Export": restored photos (and, if asked, before/after pairs) copied into a folder the
 * user picked, under the same naming scheme as the batch (naming.ts), never over an existing file.
 * The sidecar of each restored photo goes along, with its output names updated.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { ExportSummary } from '../../src-shared/ipc.ts';
import { DEFAULT_SETTINGS, type OutputFormat, type PairMode } from '../../src-shared/settings.ts';
import { decodePhoto } from '../pipeline/decode.ts';
import { writePairs } from '../pipeline/pairs.ts';
import { typedPixels, type Raster } from '../pipeline/raster.ts';
import { commitFiles, discardFiles, removeStaleTemps, tempPathFor } from '../util/atomic-file.ts';
import { allPaths, chooseOutputNames, mapNames, pairPaths, type OutputNames } from './naming.ts';

export interface ExportRequest {
  photos: { photoId: number; original: string; restored: string }[];
  pairs: PairMode;
  folder: string;
  /** Write "Before" / "After" on side-by-side pairs. */
  labels?: boolean;
}

export function formatOfFile(file: string): OutputFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return 'jpg';
  if (ext === '.png') return 'png';
  if (ext === '.tif' || ext === '.tiff') return 'tiff';
  if (ext === '.webp') return 'webp';
  throw new Error(`unexpected restored file type ${ext}`);
}

export async function exportPhotos(req: ExportRequest, signal?: AbortSignal): Promise<ExportSummary> {
  const folder = path.resolve(req.folder);
  removeStaleTemps(folder);
  const written: string[] = [];
  const failed: ExportSummary['failed'] = [];
  for (const p of req.photos) {
    signal?.throwIfAborted();
    try {
      const names = await exportOne(p.original, p.restored, req.pairs, folder, req.labels ?? false);
      written.push(...allPaths(names).filter((f) => existsSync(f)).map((f) => path.basename(f)));
    } catch (err) {
      failed.push({ name: path.basename(p.original), error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { folder, written, failed };
}

async function exportOne(original: string, restored: string, pairs: PairMode, folder: string, labels: boolean): Promise<OutputNames> {
  if (!existsSync(restored)) throw new Error('the restored photo is missing (restore it again)');
  const format = formatOfFile(restored);
  const names = chooseOutputNames(folder, original, format, pairs);
  const temp = mapNames(names, tempPathFor);
  const moves: { temp: string; final: string }[] = [];
  try {
    await copyFile(restored, temp.image);
    moves.push({ temp: temp.image, final: names.image });
    const sidecar = readSidecar(`${restored}.json`);
    if (pairs !== 'none') {
      const after = await decodePhoto(restored);
      const before = await beforeAtScale(original, after.image);
      const encode = { format, quality: sidecar?.quality ?? DEFAULT_SETTINGS.quality, protect: [original, restored] };
      await writePairs(before, after.image, after, encode, { image: restored, sideBySide: temp.sideBySide, before: temp.before, after: temp.after }, { labels });
      for (const key of ['sideBySide', 'before', 'after'] as const) {
        const t = temp[key];
        const final = names[key];
        if (t !== null && final !== null) moves.push({ temp: t, final });
      }
    }
    if (sidecar !== null) {
      const pairNames = pairPaths(names).map((n) => path.basename(n));
      writeFileSync(temp.sidecar, `${JSON.stringify({ ...sidecar.json, output: { image: path.basename(names.image), pairs: pairNames } }, null, 2)}\n`);
      moves.push({ temp: temp.sidecar, final: names.sidecar });
    }
    commitFiles(moves);
    return names;
  } catch (err) {
    discardFiles(allPaths(temp));
    throw err;
  }
}

/** The original at the restored photo's size and depth, so both halves share one scale. */
async function beforeAtScale(original: string, after: Raster): Promise<Raster> {
  const photo = await decodePhoto(original);
  const img = photo.image;
  if (img.width === after.width && img.height === after.height && img.depth === after.depth) return img;
  // The colourspace conversion also converts 8 <-> 16 bit values.
  const sixteen = after.depth === 16;
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(after.width, after.height, { fit: 'fill', kernel: 'lanczos3' })
    .toColourspace(sixteen ? 'rgb16' : 'srgb')
    .raw({ depth: sixteen ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, depth: after.depth, data: typedPixels(data, after.depth) };
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
