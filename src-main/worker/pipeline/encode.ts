/**
 * Encode stage: write the restored raster as JPEG / PNG / TIFF / WebP, keeping the input's EXIF
 * (dates, camera, GPS; orientation reset to 1 because the pixels are upright), ICC profile,
 * resolution, gray-ness, 16-bit depth (PNG/TIFF) and alpha (PNG/TIFF/WebP). The file is written to
 * a temporary name in the destination folder and renamed, and never replaces an input.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { OutputFormat } from '../../../src-shared/settings.ts';
import { finalNameOf, writeFileAtomic } from '../../util/atomic-file.ts';
import { UserError } from '../../util/errors.ts';
import { exifForOutput, xmpForExif } from './exif.ts';
import type { Raster } from './raster.ts';

export interface EncodeMetadata {
  exif?: Uint8Array;
  icc?: Uint8Array;
  /** Pixels per inch of the input. */
  density?: number;
  /** Write one gray channel (the input was gray). */
  singleChannel?: boolean;
}

export interface EncodeOptions {
  format: OutputFormat;
  /** JPEG / WebP quality 1..100. */
  quality: number;
  /** Output scale relative to the input: the density is multiplied so the print size is unchanged. */
  scale?: number;
  /** Files that must never be written (the inputs). */
  protect?: readonly string[];
}

/** Refuse to write over any protected file, also through another name for it (hard link, case). */
export async function assertNotInput(outputPath: string, protect: readonly string[]): Promise<void> {
  const out = path.resolve(outputPath);
  const outStat = await fs.stat(out).catch(() => undefined);
  for (const p of protect) {
    const inStat = await fs.stat(p).catch(() => undefined);
    const same = path.resolve(p) === out || (outStat && inStat && outStat.ino === inStat.ino && outStat.dev === inStat.dev);
    if (same) throw new UserError(`refusing to overwrite the input ${p}: choose another output folder or name`);
  }
}

function withAlpha(image: Raster, alpha: Uint8Array | Uint16Array): Uint8Array | Uint16Array {
  const n = image.width * image.height;
  const out = image.depth === 16 ? new Uint16Array(n * 4) : new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    out[i * 4] = image.data[i * 3];
    out[i * 4 + 1] = image.data[i * 3 + 1];
    out[i * 4 + 2] = image.data[i * 3 + 2];
    out[i * 4 + 3] = alpha[i];
  }
  return out;
}

/** An image already described as a sharp pipeline (e.g. composited pairs), RGB, not yet encoded. */
export interface PipelineImage {
  pipeline: Sharp;
  width: number;
  height: number;
  depth: 8 | 16;
}

/** Build the sharp pipeline for an output (exported for pairs and tests). */
export function encoder(
  image: Raster | PipelineImage,
  meta: EncodeMetadata,
  options: Pick<EncodeOptions, 'format' | 'quality' | 'scale'>,
  alpha?: Uint8Array | Uint16Array,
  iccPath?: string,
): Sharp {
  let p: Sharp;
  if ('pipeline' in image) {
    p = image.pipeline;
  } else {
    const keepAlpha = alpha !== undefined && options.format !== 'jpg';
    const pixels = keepAlpha ? withAlpha(image, alpha) : image.data;
    // The output plan (output-plan.ts) bounds what reaches here; sharp's default limit would refuse a large pair.
    p = sharp(pixels, { raw: { width: image.width, height: image.height, channels: keepAlpha ? 4 : 3 }, limitInputPixels: false });
  }
  const sixteen = image.depth === 16 && (options.format === 'png' || options.format === 'tiff');
  if (meta.singleChannel) p = p.toColourspace(sixteen ? 'grey16' : 'b-w');
  else if (sixteen) p = p.toColourspace('rgb16');
  const density = meta.density !== undefined && meta.density > 0 ? meta.density * (options.scale ?? 1) : undefined;
  if (density !== undefined) p = p.withDensity(density);
  const exif = exifForOutput(meta.exif);
  p = p.withExif(exif);
  // libvips writes no EXIF block into TIFF: carry the dates and names as XMP there instead.
  if (options.format === 'tiff') {
    const xmp = xmpForExif(exif);
    if (xmp) p = p.withXmp(xmp);
  }
  if (iccPath) p = p.withIccProfile(iccPath);
  const q = Math.max(1, Math.min(100, Math.round(options.quality)));
  switch (options.format) {
    case 'jpg':
      return p.jpeg({ quality: q, chromaSubsampling: q >= 95 ? '4:4:4' : '4:2:0' });
    case 'png':
      return p.png({ compressionLevel: 6 });
    case 'tiff':
      return p.tiff({ compression: 'lzw', predictor: 'horizontal' });
    case 'webp':
      return p.webp({ quality: q });
  }
}

/** ICC profiles are passed to libvips as files; the caller removes the returned path. */
async function writeIccFile(icc: Uint8Array | undefined, singleChannel: boolean | undefined): Promise<string | undefined> {
  if (!icc || icc.length < 132) return undefined;
  // Header bytes 16..19: data colour space. Only attach a profile that matches the output's channels.
  const space = Buffer.from(icc.subarray(16, 20)).toString('latin1');
  if (singleChannel ? space !== 'GRAY' : space !== 'RGB ') return undefined;
  const file = path.join(os.tmpdir(), `heirloom-${process.pid}-${randomBytes(6).toString('hex')}.icc`);
  await fs.writeFile(file, icc);
  return file;
}

/** Encode `image` to `outputPath` atomically (util/atomic-file.ts: temp name, flush, rename). */
export async function encodePhoto(
  image: Raster | PipelineImage,
  outputPath: string,
  meta: EncodeMetadata,
  options: EncodeOptions,
  alpha?: Uint8Array | Uint16Array,
): Promise<void> {
  await assertNotInput(outputPath, options.protect ?? []);
  const iccPath = await writeIccFile(meta.icc, meta.singleChannel);
  try {
    await writeFileAtomic(outputPath, (temp) => encoder(image, meta, options, alpha, iccPath).toFile(temp));
  } catch (err) {
    if (err instanceof UserError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    // The queue writes under a temporary name: the user knows the file by its final one.
    throw new UserError(`${finalNameOf(outputPath)} could not be saved (${msg.split('\n')[0]}): check that the output folder has free space and try again`, { cause: err });
  } finally {
    if (iccPath) await fs.rm(iccPath, { force: true });
  }
}
