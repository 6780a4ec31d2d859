/**
 * Before/after pairs for showing the family: the side-by-side image (before | thin divider |
 * after, optionally labelled) and the two-file pair. The file names come from the caller
 * (export/naming.ts); pairs carry the same EXIF/ICC as the output and are written atomically.
 */
import { copyFile } from 'node:fs/promises';
import sharp from 'sharp';
import { textPath } from './label-text.ts';
import { writeFileAtomic } from '../../util/atomic-file.ts';
import { type EncodeMetadata, type EncodeOptions, type PipelineImage, assertNotInput, encodePhoto } from './encode.ts';
import { pairGap } from './output-plan.ts';
import { type Raster, createRaster, maxValue } from './raster.ts';
import type { FinishTargets } from '../../../src-shared/worker-protocol.ts';

/** before | divider | after, same height; the divider is white and about 0.4% of the width. */
export function sideBySide(before: Raster, after: Raster): Raster {
  if (before.width !== after.width || before.height !== after.height || before.depth !== after.depth) {
    throw new Error('side-by-side needs before and after of the same size and depth');
  }
  const gap = pairGap(before.width);
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
  const gap = pairGap(before.width);
  const raw = { width: before.width, height: before.height, channels: 3 as const };
  const view = (r: Raster) => Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  const pipeline = sharp(view(before), { raw })
    .extend({ right: before.width + gap, background: { r: 255, g: 255, b: 255 } })
    .composite([{ input: view(after), raw, left: before.width + gap, top: 0 }])
    .removeAlpha(); // composite adds an (opaque) alpha channel
  return { pipeline, width: before.width * 2 + gap, height: before.height, depth: 8 };
}

/** Where a photo's files go; `image` is the restored photo, already written (the "after" file is a copy of it). */
export type PairTargets = FinishTargets;

/** Writes the pair files asked for (`null` = not wanted). `before` and `after` are the same size. */
export async function writePairs(
  before: Raster,
  after: Raster,
  meta: EncodeMetadata,
  encode: EncodeOptions,
  targets: PairTargets,
  options: { labels?: boolean } = {},
): Promise<void> {
  if (targets.before !== null) await encodePhoto(before, targets.before, meta, encode);
  const afterFile = targets.after;
  if (afterFile !== null) {
    await assertNotInput(afterFile, encode.protect ?? []);
    await writeFileAtomic(afterFile, (temp) => copyFile(targets.image, temp));
  }
  if (targets.sideBySide !== null) {
    if (options.labels) {
      const pair = sideBySide(before, after);
      await drawLabel(pair, 'Before', 0, before.height);
      await drawLabel(pair, 'After', pair.width - after.width, after.height);
      await encodePhoto(pair, targets.sideBySide, meta, encode);
    } else {
      await encodePhoto(sideBySideImage(before, after), targets.sideBySide, meta, encode);
    }
  }
}

/**
 * Draws `text` on a dark translucent tag in the top-left corner of the half starting at `x0`,
 * sized to the photo (about 4% of its height) so it reads the same on a thumbnail and a print.
 */
export async function drawLabel(img: Raster, text: string, x0: number, photoHeight: number): Promise<void> {
  const font = Math.max(10, Math.round(photoHeight * 0.04));
  const pad = Math.round(font * 0.4);
  const glyphs = textPath(text, pad, pad + font * 0.82, font);
  const w = Math.min(img.width - x0, Math.round(glyphs.width + 2 * pad));
  const h = Math.min(img.height, font + 2 * pad);
  if (w <= 0 || h <= 0) return;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
    `<rect width="${w}" height="${h}" fill="black" fill-opacity="0.55"/>` +
    `<path d="${glyphs.d}" fill="white"/></svg>`;
  const { data } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const max = maxValue(img.depth);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 4;
      const a = data[s + 3] / 255;
      if (a === 0) continue;
      const d = ((y * img.width) + x0 + x) * 3;
      for (let c = 0; c < 3; c++) {
        img.data[d + c] = Math.round(img.data[d + c] * (1 - a) + (data[s + c] / 255) * max * a);
      }
    }
  }
}
