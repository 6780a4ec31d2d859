/**
 * The pixel part of the app's export: a before/after pair of a restored photo, the original
 * scaled by the batch's factor next to the restored file, written to paths the main process
 * chose (export/export-photos.ts).
 */
import path from 'node:path';
import type { WorkerParams } from '../../src-shared/worker-protocol.ts';
import { UserError } from '../util/errors.ts';
import { decodePhoto } from './pipeline/decode.ts';
import { OUTPUT_BYTES_BUDGET, planOutput } from './pipeline/output-plan.ts';
import { writePairs } from './pipeline/pairs.ts';
import { scaleRaster } from './pipeline/scale.ts';

export async function writePairAtScale({ original, restored, targets, format, quality, labels }: WorkerParams<'writePair'>): Promise<void> {
  const photo = await decodePhoto(original);
  // A restored photo may be larger than the inputs Heirloom takes (a 4x result): up to what it writes.
  const after = (await decodePhoto(restored, { maxPixels: OUTPUT_BYTES_BUDGET / 3 })).image;
  // The pair must fit the format too (a side-by-side pair is twice as wide): a clear error if not.
  const header = { width: after.width, height: after.height, depth: after.depth, hasAlpha: photo.alpha !== undefined };
  planOutput(path.basename(restored), header, { scale: 1, format, pairs: targets.sideBySide === null ? 'files' : 'side-by-side' });
  // The restored file must be a 1x, 2x or 4x restoration of the original, so both halves share one geometry.
  const k = after.width / photo.image.width;
  if (![1, 2, 4].includes(k) || after.height !== photo.image.height * k) {
    throw new UserError(`${path.basename(restored)} is not a 1x, 2x or 4x restoration of ${path.basename(original)} (was the original changed?)`);
  }
  const before = await scaleRaster(photo.image, k);
  const encode = { format, quality, scale: k, protect: [original, restored] };
  await writePairs(before, after, photo, encode, { image: restored, ...targets }, { labels });
}
