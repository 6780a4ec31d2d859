/**
 * Before/after pairs for showing the family:
 *  - 'side-by-side': one image `<stem>.pair.<ext>`, before | after at the output scale, thin divider;
 *  - 'files': `<stem>.before.<ext>` and `<stem>.restored.<ext>` next to the output.
 * Pairs carry the same EXIF/ICC as the output and are written atomically like it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { PairMode } from '../../src-shared/settings.ts';
import sharp from 'sharp';
import { type EncodeMetadata, type EncodeOptions, FORMAT_EXTENSIONS, type PipelineImage, assertNotInput, encodePhoto } from './encode.ts';
import { type Raster, createRaster, maxValue } from './raster.ts';

export function pairPaths(outputPath: string, mode: PairMode, format: EncodeOptions['format']): string[] {
  if (mode === 'none') return [];
  const dir = path.dirname(outputPath);
  const ext = FORMAT_EXTENSIONS[format];
  const stem = path.basename(outputPath, path.extname(outputPath));
  if (mode === 'side-by-side') return [path.join(dir, `${stem}.pair${ext}`)];
  return [path.join(dir, `${stem}.before${ext}`), path.join(dir, `${stem}.restored${ext}`)];
}

/** before | divider | after, same height; the divider is white and about 0.4% of the width. */
export function sideBySide(before: Raster, after: Raster): Raster {
  if (before.width !== after.width || before.height !== after.height || before.depth !== after.depth) {
    throw new Error('side-by-side needs before and after of the same size and depth');
  }
  const gap = Math.max(2, Math.round(before.width / 250));
  const w = before.width * 2 + gap;
  const out = createRaster(w, before.height, before.depth);
  const white = maxValue(before.depth);
  const row = before.width * 3;
  for (let y = 0; y < before.height; y++) {
    const o = y * w * 3;
    out.data.set(before.data.subarray(y * row, (y + 1) * row), o);
    out.data.fill(white, o + row, o + row + gap * 3);
    out.data.set(after.data.subarray(y * row, (y + 1) * row), o + row + gap * 3);
  }
  return out;
}

/**
 * The side-by-side image for encoding. 8-bit pairs are composited by libvips while it encodes, so
 * a huge scan's pair never exists as one more buffer in memory; 16-bit ones are built in memory.
 */
export function sideBySideImage(before: Raster, after: Raster): Raster | PipelineImage {
  if (before.depth === 16 || after.depth === 16) return sideBySide(before, after);
  if (before.width !== after.width || before.height !== after.height) {
    throw new Error('side-by-side needs before and after of the same size');
  }
  const gap = Math.max(2, Math.round(before.width / 250));
  const raw = { width: before.width, height: before.height, channels: 3 as const };
  const view = (r: Raster) => Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  const pipeline = sharp(view(before), { raw })
    .extend({ right: before.width + gap, background: { r: 255, g: 255, b: 255 } })
    .composite([{ input: view(after), raw, left: before.width + gap, top: 0 }])
    .removeAlpha(); // composite adds an (opaque) alpha channel
  return { pipeline, width: before.width * 2 + gap, height: before.height, depth: 8 };
}

/**
 * Write the pair files for one restored photo. `outputPath` is the already-written restored file
 * (reused as-is for the 'files' mode's restored half). Returns the written paths.
 */
export async function writePairs(
  mode: PairMode,
  before: Raster,
  after: Raster,
  outputPath: string,
  meta: EncodeMetadata,
  options: EncodeOptions,
): Promise<string[]> {
  const paths = pairPaths(outputPath, mode, options.format);
  if (mode === 'side-by-side') {
    await encodePhoto(sideBySideImage(before, after), paths[0], meta, options);
  } else if (mode === 'files') {
    await encodePhoto(before, paths[0], meta, options);
    await assertNotInput(paths[1], options.protect ?? []);
    const tmp = `${paths[1]}.${process.pid}.tmp`;
    await fs.copyFile(outputPath, tmp);
    await fs.rename(tmp, paths[1]);
  }
  return paths;
}
