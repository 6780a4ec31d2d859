/**
 * Before/after pairs next to a restored photo. `before` and `after` are the same size (the
 * original scaled to the output scale, and the restored photo), so both halves share one scale.
 */
import { copyFile } from 'node:fs/promises';
import { encodePhoto, type EncodeMetadata, type EncodeOptions } from '../pipeline/encode.ts';
import { createRaster, maxValue, type Raster } from '../pipeline/raster.ts';

export interface PairTargets {
  /** The restored photo, already written (the "after" file is a copy of it). */
  image: string;
  sideBySide: string | null;
  before: string | null;
  after: string | null;
}

/** Divider between the halves: thin, light gray, proportional to the photo (at least 2 px). */
export function dividerWidth(width: number): number {
  return Math.max(2, Math.round(width / 400));
}

export async function writePairs(before: Raster, after: Raster, meta: EncodeMetadata, encode: EncodeOptions, targets: PairTargets): Promise<void> {
  if (before.width !== after.width || before.height !== after.height) {
    throw new Error(`before (${before.width}x${before.height}) and after (${after.width}x${after.height}) differ in size`);
  }
  if (targets.before !== null) await encodePhoto(before, targets.before, meta, encode);
  if (targets.after !== null) await copyFile(targets.image, targets.after);
  if (targets.sideBySide !== null) await encodePhoto(sideBySide(before, after), targets.sideBySide, meta, encode);
}

/** [before | divider | after] at the same scale. */
export function sideBySide(before: Raster, after: Raster): Raster {
  const gap = dividerWidth(before.width);
  const w = before.width * 2 + gap;
  const out = createRaster(w, before.height, before.depth);
  out.data.fill(Math.round(maxValue(before.depth) * 0.85));
  const row = before.width * 3;
  for (let y = 0; y < before.height; y++) {
    out.data.set(before.data.subarray(y * row, (y + 1) * row), y * w * 3);
    out.data.set(after.data.subarray(y * row, (y + 1) * row), (y * w + before.width + gap) * 3);
  }
  return out;
}
