/**
 * Decode stage: any sharp-readable photo -> upright RGB raster (8 or 16 bit) plus what the encoder
 * needs to write it back (EXIF, ICC, density, format, alpha) and the print's tone (colour, gray,
 * toned) so later stages never invent colour on a gray or sepia print.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { UserError } from '../../util/errors.ts';
import type { PhotoHeader } from './output-plan.ts';
import { type Raster, typedPixels } from './raster.ts';

/** 200 megapixels: a 16k x 12k scan still fits. */
export const DEFAULT_MAX_PIXELS = 200_000_000;

export type ToneKind = 'colour' | 'gray' | 'toned';

export interface ToneInfo {
  kind: ToneKind;
  /** 99th percentile of chroma magnitude (0..255 scale). */
  chromaP99: number;
  /** RMS distance of the chroma from the best single-hue line through the neutral point. */
  offHueRms: number;
  /** Dominant hue angle in the CbCr plane (radians), meaningful for 'toned'. */
  hue: number;
}

export interface DecodedPhoto {
  path: string;
  /** Upright (EXIF orientation applied) RGB, flattened on white when the input has alpha. */
  image: Raster;
  /** The input's alpha channel (upright, same depth), kept aside to re-attach on encode. */
  alpha?: Uint8Array | Uint16Array;
  /** sharp's name of the input format (jpeg, png, tiff, webp, heif, ...). */
  format: string;
  /** EXIF orientation of the file (1..8); the pixels here are already upright. */
  sourceOrientation: number;
  /** The file stores one gray channel (not RGB): encode it back as gray. */
  singleChannel: boolean;
  /** The file was CMYK: pixels were converted to sRGB and its CMYK profile is not re-attached. */
  wasCmyk: boolean;
  /** Raw EXIF block (starts with "Exif\0\0" or the TIFF header), if any. */
  exif?: Buffer;
  /** ICC profile that describes `image`'s pixels when re-attached (RGB or gray), if any. */
  icc?: Buffer;
  density?: number;
  tone: ToneInfo;
  /** Convenience: tone.kind === 'gray'. */
  isGrayscale: boolean;
  /** Set when the file is damaged but its pixels could be read: what was missing, in words. */
  damage?: string;
}

export interface DecodeOptions {
  maxPixels?: number;
}

/** libvips' own words for why a file cannot be read (its first line), for logs and pattern checks. */
export function decodeErrorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] ?? msg;
}

/**
 * Why a file cannot be read, as an instruction a family-photo user can follow (the caller puts
 * the file's name first). libvips' words are kept only where nothing better is known.
 */
export function describeDecodeError(err: unknown): string {
  const full = err instanceof Error ? err.message : String(err);
  // sharp's libvips reads AVIF but has no HEVC decoder (patents): iPhone HEIC photos land here.
  if (/heif: .*(unsupported codec|compression format has not been built in)/i.test(full)) {
    return 'HEIC photos (as iPhones save them) cannot be read here: convert it to JPEG first (the Photos app or Preview can)';
  }
  if (/input file is missing|no such file|ENOENT/i.test(full)) return 'the file is not there any more: was it moved, renamed or deleted?';
  if (/EACCES|EPERM|permission denied/i.test(full)) return "Heirloom may not read this file: check that you can open it, or copy it to a folder of your own";
  if (/pixel limit/i.test(full)) return 'it has more pixels than Heirloom can restore: reduce it in an image editor first';
  if (/unsupported image format|unsupported file format|not a known file format/i.test(full)) {
    return 'this is not a photo format Heirloom can read (JPEG, PNG, TIFF, WebP, AVIF): open it in an image program and save it as JPEG or PNG';
  }
  if (/premature end|truncated|unexpected end|end of (file|data)/i.test(full)) {
    return 'the file is incomplete (it ends early): copy it again from where it came from, or scan the print again';
  }
  // "Warning treated as error due to failOn setting", "Corrupt JPEG data", "libpng read error", CRC errors...
  if (/failOn|corrupt|huffman|read error|crc|invalid|bad |damaged|not a (jpeg|png|tiff)/i.test(full)) {
    return 'the file is damaged and cannot be read: use another copy of this photo, or scan the print again';
  }
  return `it cannot be read (${decodeErrorText(err)}): use another copy of this photo, or save it again as JPEG`;
}

/** describeDecodeError, and an empty file (an interrupted copy) said as such. */
export function describeUnreadable(file: string, err: unknown): string {
  if (statSync(file, { throwIfNoEntry: false })?.size === 0) return 'the file is empty (0 bytes): copy the photo again from where it came from';
  return describeDecodeError(err);
}

/** What the header says about a photo (no pixels decoded): for the output plan and the decoder. */
export interface ImageHeader extends PhotoHeader {
  meta: Metadata;
}

/** Reads a photo's header; a file that is no image, or too big to decode, is a UserError naming it. */
export async function readImageHeader(file: string, options: DecodeOptions = {}): Promise<ImageHeader> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const name = path.basename(file);
  let meta: Metadata;
  try {
    // Header only (no pixels decoded), so a huge file gets the clearer size message below.
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new UserError(`${name}: ${describeUnreadable(file, err)}`, { cause: err });
  }
  if (!meta.width || !meta.height) throw new UserError(`${name}: image has no dimensions`);
  const pixels = meta.width * meta.height;
  if (pixels > maxPixels) {
    throw new UserError(
      `${name}: ${meta.width}x${meta.height} (${(pixels / 1e6).toFixed(0)} MP) is larger than Heirloom can restore ` +
        `(${(maxPixels / 1e6).toFixed(0)} MP): reduce it in an image editor first`,
    );
  }
  const depth: 8 | 16 = meta.depth === 'ushort' || meta.depth === 'short' || meta.depth === 'uint' || meta.depth === 'float' ? 16 : 8;
  // EXIF orientations 5..8 turn the picture by 90 degrees.
  const turned = (meta.orientation ?? 1) >= 5;
  return {
    width: turned ? meta.height : meta.width,
    height: turned ? meta.width : meta.height,
    depth,
    hasAlpha: meta.hasAlpha === true,
    meta,
  };
}

/** libjpeg's and libpng's words for a file that ends early (its first part still decodes). */
const TRUNCATED = /premature end|truncated|unexpected end|end of (file|data)|Corrupt JPEG data/i;

/**
 * Less of the picture than this, and a restore would be mostly the decoder's grey: such a file
 * counts as unreadable, so the user looks for a better copy instead of getting a grey "restored".
 */
const MIN_READABLE_FRACTION = 0.25;

/**
 * How many rows at the bottom a file that ended early never delivered: the decoder fills them
 * with one flat colour.
 */
function missingRows(img: Raster): number {
  const { width, height, data } = img;
  const rowIsFlat = (y: number): boolean => {
    const o = y * width * 3;
    for (let i = 3; i < width * 3; i++) if (data[o + i] !== data[o + (i % 3)]) return false;
    return true;
  };
  let missing = 0;
  while (missing < height && rowIsFlat(height - 1 - missing)) missing++;
  return missing;
}

/** Decode one photo; every failure becomes a UserError that names the file. */
export async function decodePhoto(file: string, options: DecodeOptions = {}): Promise<DecodedPhoto> {
  try {
    return await decodeWith(file, options, false);
  } catch (err) {
    // A file cut short (an interrupted copy or download) still holds most of its picture.
    if (!(err instanceof UserError) || !TRUNCATED.test(decodeErrorText(err.cause))) throw err;
    const photo = await decodeWith(file, options, true);
    const { height } = photo.image;
    const missing = missingRows(photo.image);
    if (height - missing < MIN_READABLE_FRACTION * height) {
      const read = Math.floor((100 * (height - missing)) / height);
      const what = read < 1 ? 'the file ends before any of the picture' : `the file ends early: only the top ${read}% of the picture could be read`;
      throw new UserError(`${path.basename(file)}: cannot decode image (${what}); copy it again from where it came from, or scan the print again`, { cause: err });
    }
    const pct = Math.round((100 * missing) / height);
    const damage =
      pct < 1
        ? 'The file is incomplete (it ends early); every part of the picture could still be read.'
        : `The file is incomplete (it ends early): the bottom ${pct}% of the picture could not be read and is left flat grey.`;
    return { ...photo, damage };
  }
}

async function decodeWith(file: string, options: DecodeOptions, tolerant: boolean): Promise<DecodedPhoto> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const name = path.basename(file);
  const input = () => sharp(file, { limitInputPixels: maxPixels, sequentialRead: true, ...(tolerant ? { failOn: 'none' as const } : {}) });
  const { meta, depth, hasAlpha } = await readImageHeader(file, options);
  const wasCmyk = meta.space === 'cmyk';
  const singleChannel = !wasCmyk && (meta.channels ?? 3) <= 2;

  let image: Raster;
  let alpha: Uint8Array | Uint16Array | undefined;
  try {
    const { data, info } = await input()
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace(depth === 16 ? 'rgb16' : 'srgb')
      .raw({ depth: depth === 16 ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after decode, got ${info.channels}`);
    image = { width: info.width, height: info.height, depth, data: typedPixels(data, depth) };
    if (hasAlpha) {
      const a = await input()
        .autoOrient()
        .extractChannel(meta.channels === 2 ? 1 : 3)
        .raw({ depth: depth === 16 ? 'ushort' : 'uchar' })
        .toBuffer({ resolveWithObject: true });
      alpha = typedPixels(a.data, depth);
    }
  } catch (err) {
    throw new UserError(`${name}: ${describeDecodeError(err)}`, { cause: err });
  }

  const tone = detectTone(image);
  return {
    path: file,
    image,
    alpha,
    format: meta.format,
    sourceOrientation: meta.orientation ?? 1,
    singleChannel,
    wasCmyk,
    exif: meta.exif,
    icc: wasCmyk ? undefined : meta.icc,
    density: meta.density,
    tone,
    isGrayscale: tone.kind === 'gray',
  };
}

/** Chroma above this (0..255 scale, 99th percentile) means the photo is not gray. */
const GRAY_CHROMA_P99 = 4;
/** A toned print's chroma lies on one hue line; colour photos spread well beyond this. */
const TONED_OFF_HUE_RMS = 1.8;

/**
 * Classify a photo as colour, gray (all channels nearly equal) or toned (sepia, cyanotype...: low
 * chroma around a single hue). Works on a strided sample of at most ~65k pixels.
 */
export function detectTone(img: Raster): ToneInfo {
  const total = img.width * img.height;
  const step = Math.max(1, Math.floor(Math.sqrt(total / 65536)));
  const scale = img.depth === 16 ? 255 / 65535 : 1;
  const cap = (Math.floor((img.height - 1) / step) + 1) * (Math.floor((img.width - 1) / step) + 1);
  const cbs = new Float32Array(cap);
  const crs = new Float32Array(cap);
  const mags = new Float32Array(cap);
  let n = 0;
  let sumCb = 0;
  let sumCr = 0;
  const d = img.data;
  for (let y = 0; y < img.height; y += step) {
    for (let x = 0; x < img.width; x += step) {
      const i = (y * img.width + x) * 3;
      const r = d[i] * scale, g = d[i + 1] * scale, b = d[i + 2] * scale;
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      const cb = (b - luma) * 0.564;
      const cr = (r - luma) * 0.713;
      cbs[n] = cb;
      crs[n] = cr;
      mags[n] = Math.hypot(cb, cr);
      sumCb += cb;
      sumCr += cr;
      n++;
    }
  }
  mags.sort();
  const chromaP99 = mags[Math.floor(0.99 * (n - 1))] ?? 0;
  const hue = Math.atan2(sumCr, sumCb);
  const ux = Math.cos(hue);
  const uy = Math.sin(hue);
  let perp = 0;
  for (let i = 0; i < n; i++) {
    const dist = -cbs[i] * uy + crs[i] * ux;
    perp += dist * dist;
  }
  const offHueRms = Math.sqrt(perp / Math.max(1, n));
  let kind: ToneKind = 'colour';
  if (chromaP99 <= GRAY_CHROMA_P99) kind = 'gray';
  else if (offHueRms <= TONED_OFF_HUE_RMS) kind = 'toned';
  return { kind, chromaP99, offHueRms, hue };
}
