/**
 * The output plan: at which scale a photo is written, decided from its header before any pixel
 * is made. A scale whose result the encoder cannot write (JPEG and WebP have a largest side) or
 * that would not fit the memory budget is lowered (4x -> 2x -> 1x) and the reason is kept, so
 * the user is told which scale was used. libvips aborts the process (double free) when asked for
 * more than 4 GiB of raw pixels: that is why this runs first, for every photo.
 */
import type { OutputFormat, PairMode } from '../../../src-shared/settings.ts';
import { UserError } from '../../util/errors.ts';

/** Largest side each format can hold (JPEG's 16-bit size fields, WebP's 14 bits, libpng's user limit). */
export const FORMAT_MAX_SIDE: Record<OutputFormat, number> = {
  jpg: 65535,
  webp: 16383,
  png: 1_000_000,
  tiff: 1_000_000,
};

const FORMAT_NAME: Record<OutputFormat, string> = { jpg: 'JPEG', webp: 'WebP', png: 'PNG', tiff: 'TIFF' };

/**
 * Raw bytes of the largest image held in memory at once (the photo at the output scale, or the
 * side-by-side pair). 3 bytes x sharp's default pixel limit (16383 x 16383): about 805 MB, so an
 * 8-bit RGB output of up to 268 MP is allowed, which keeps every raw buffer handed to libvips
 * inside its default limit and the worker's peak memory within a few GB.
 */
export const OUTPUT_BYTES_BUDGET = 3 * 16383 * 16383;

/** The most pixels an output can have (8-bit RGB at the budget): what the app must be able to preview. */
export const MAX_OUTPUT_PIXELS = OUTPUT_BYTES_BUDGET / 3;

export interface PhotoHeader {
  /** Upright size (EXIF orientation applied). */
  width: number;
  height: number;
  depth: 8 | 16;
  hasAlpha: boolean;
}

export interface OutputRequest {
  scale: number;
  format: OutputFormat;
  pairs: PairMode;
}

export interface OutputPlan {
  /** The scale the photo is written at (at most the one asked for). */
  scale: number;
  width: number;
  height: number;
  /** Why the scale is lower than asked (null when it is the one asked for). */
  reason: string | null;
}

/** Side of the white divider between before and after (pairs.ts draws it). */
export function pairGap(width: number): number {
  return Math.max(2, Math.round(width / 250));
}

function largestImage(w: number, h: number, pairs: PairMode): { width: number; height: number } {
  return pairs === 'side-by-side' ? { width: w * 2 + pairGap(w), height: h } : { width: w, height: h };
}

function megapixels(w: number, h: number): string {
  return `${Math.round((w * h) / 1e6)} MP`;
}

/** The largest scale from the one asked down to 1x that the format and the memory budget allow. */
export function planOutput(name: string, header: PhotoHeader, request: OutputRequest): OutputPlan {
  const maxSide = FORMAT_MAX_SIDE[request.format];
  const bytesPerPixel = (header.depth === 16 ? 2 : 1) * (header.hasAlpha ? 4 : 3);
  const what = request.pairs === 'side-by-side' ? 'its side-by-side pair' : 'it';
  let firstReason: string | null = null;
  for (let k = request.scale; k >= 1; k = k > 2 ? 2 : k - 1) {
    const w = header.width * k;
    const h = header.height * k;
    const big = largestImage(w, h, request.pairs);
    const tooWide = Math.max(big.width, big.height) > maxSide;
    // 1x is the photo as it was decoded: memory allowed that already.
    const tooBig = k > 1 && big.width * big.height * bytesPerPixel > OUTPUT_BYTES_BUDGET;
    if (!tooWide && !tooBig) {
      return { scale: k, width: w, height: h, reason: k === request.scale ? null : firstReason };
    }
    firstReason ??= tooWide
      ? `at ${k}x ${what} would be ${big.width}x${big.height} pixels, more than a ${FORMAT_NAME[request.format]} file can hold (${maxSide} a side); PNG or TIFF output keeps ${k}x`
      : `at ${k}x ${what} would be ${big.width}x${big.height} pixels (${megapixels(big.width, big.height)}), more than Heirloom can hold in memory`;
  }
  const big = largestImage(header.width, header.height, request.pairs);
  throw new UserError(
    `${name}: ${what === 'it' ? 'the photo' : 'its side-by-side pair'} is ${big.width}x${big.height} pixels, more than a ` +
      `${FORMAT_NAME[request.format]} file can hold (${maxSide} a side): choose PNG or TIFF output` +
      (request.pairs === 'side-by-side' ? ', or two-file pairs' : ''),
  );
}
