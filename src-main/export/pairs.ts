/**
 * Before/after pairs next to a restored photo, under the export naming scheme (naming.ts).
 * `before` and `after` are the same size (the original scaled to the output scale, and the
 * restored photo), so both halves share one scale. The side-by-side composition (thin divider)
 * is the pipeline's (pipeline/pairs.ts).
 */
import { copyFile } from 'node:fs/promises';
import { encodePhoto, type EncodeMetadata, type EncodeOptions } from '../pipeline/encode.ts';
import { sideBySide } from '../pipeline/pairs.ts';
import type { Raster } from '../pipeline/raster.ts';

export interface PairTargets {
  /** The restored photo, already written (the "after" file is a copy of it). */
  image: string;
  sideBySide: string | null;
  before: string | null;
  after: string | null;
}

export async function writePairs(before: Raster, after: Raster, meta: EncodeMetadata, encode: EncodeOptions, targets: PairTargets): Promise<void> {
  if (targets.before !== null) await encodePhoto(before, targets.before, meta, encode);
  if (targets.after !== null) await copyFile(targets.image, targets.after);
  if (targets.sideBySide !== null) await encodePhoto(sideBySide(before, after), targets.sideBySide, meta, encode);
}
