/**
 * Background scale stage: the whole photo (and its alpha) resized 1x/2x/4x with lanczos3. Faces are
 * pasted afterwards at the output scale through `photoToOutput`, so they stay sharp.
 */
import sharp from 'sharp';
import type { Affine } from './geometry.ts';
import { type Raster, typedPixels } from './raster.ts';

/**
 * libvips' lanczos3 upsizing places output pixel i's centre at input continuous coordinate i/k
 * (not (i + 0.5)/k), which shifts the picture by half an output pixel; downsizing has no shift.
 * The paste geometry follows the background exactly (tests lock this in).
 */
export const UPSCALE_OFFSET = 0.5;

/** Photo continuous coordinates -> output continuous coordinates at scale k. */
export function photoToOutput(k: number): Affine {
  const off = k > 1 ? UPSCALE_OFFSET : 0;
  return [k, 0, off, 0, k, off];
}

export async function scaleRaster(image: Raster, k: number): Promise<Raster> {
  if (k === 1) return image;
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(image.width * k, image.height * k, { fit: 'fill', kernel: 'lanczos3' })
    .toColourspace(image.depth === 16 ? 'rgb16' : 'srgb')
    .raw({ depth: image.depth === 16 ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, depth: image.depth, data: typedPixels(data, image.depth) };
}

export async function scaleAlpha(
  alpha: Uint8Array | Uint16Array,
  width: number,
  height: number,
  k: number,
): Promise<Uint8Array | Uint16Array> {
  if (k === 1) return alpha;
  const depth = alpha instanceof Uint16Array ? 16 : 8;
  const { data } = await sharp(alpha, { raw: { width, height, channels: 1 } })
    .resize(width * k, height * k, { fit: 'fill', kernel: 'lanczos3' })
    .toColourspace(depth === 16 ? 'grey16' : 'b-w')
    .raw({ depth: depth === 16 ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return typedPixels(data, depth);
}
