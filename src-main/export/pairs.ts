/**
 * Before/after pairs next to a restored photo, under the export naming scheme (naming.ts).
 * `before` and `after` are the same size (the original scaled to the output scale, and the
 * restored photo), so both halves share one scale. The side-by-side composition (thin divider)
 * is the pipeline's (pipeline/pairs.ts); optional "Before" / "After" labels are drawn here.
 */
import { copyFile } from 'node:fs/promises';
import sharp from 'sharp';
import { encodePhoto, type EncodeMetadata, type EncodeOptions } from '../pipeline/encode.ts';
import { sideBySide } from '../pipeline/pairs.ts';
import { maxValue, type Raster } from '../pipeline/raster.ts';

export interface PairTargets {
  /** The restored photo, already written (the "after" file is a copy of it). */
  image: string;
  sideBySide: string | null;
  before: string | null;
  after: string | null;
}

export async function writePairs(
  before: Raster,
  after: Raster,
  meta: EncodeMetadata,
  encode: EncodeOptions,
  targets: PairTargets,
  options: { labels?: boolean } = {},
): Promise<void> {
  if (targets.before !== null) await encodePhoto(before, targets.before, meta, encode);
  if (targets.after !== null) await copyFile(targets.image, targets.after);
  if (targets.sideBySide !== null) {
    const pair = sideBySide(before, after);
    if (options.labels) {
      await drawLabel(pair, 'Before', 0, before.height);
      await drawLabel(pair, 'After', pair.width - after.width, after.height);
    }
    await encodePhoto(pair, targets.sideBySide, meta, encode);
  }
}

/**
 * Draws `text` on a dark translucent tag in the top-left corner of the half starting at `x0`,
 * sized to the photo (about 4% of its height) so it reads the same on a thumbnail and a print.
 */
export async function drawLabel(img: Raster, text: string, x0: number, photoHeight: number): Promise<void> {
  const font = Math.max(10, Math.round(photoHeight * 0.04));
  const pad = Math.round(font * 0.4);
  const w = Math.min(img.width - x0, Math.round(font * 0.62 * text.length + 2 * pad));
  const h = Math.min(img.height, font + 2 * pad);
  if (w <= 0 || h <= 0) return;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
    `<rect width="${w}" height="${h}" fill="black" fill-opacity="0.55"/>` +
    `<text x="${pad}" y="${pad + font * 0.82}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="${font}" fill="white">${text}</text></svg>`;
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
