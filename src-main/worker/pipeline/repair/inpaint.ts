/**
 * Fill masked pixels from their surroundings with OpenCV's Telea inpainting (fast marching).
 * Only tiles that hold masked pixels are inpainted, each with a margin of known pixels around it,
 * and only the masked pixels of the tile's own area are written back: a 12 MP photo with a few
 * scratches costs a few small calls, not one over the whole photo. Pixels outside the mask are
 * never changed.
 */
import type { Raster } from '../raster.ts';
import { loadOpenCv, withMats } from './opencv.ts';

/** Neighbourhood Telea averages over (px). */
export const INPAINT_RADIUS = 3;
const TILE = 256;
/** Known pixels around a tile: the widest masked run it must bridge plus the radius. */
const MARGIN = 24;

/** Returns a copy of `img` with the pixels where `mask` is nonzero filled in. */
export async function inpaintMasked(img: Raster, mask: Uint8Array, radius = INPAINT_RADIUS): Promise<Raster> {
  const cv = await loadOpenCv();
  const { width, height, depth } = img;
  const out: Raster = { width, height, depth, data: img.data.slice() };
  for (let ty = 0; ty < height; ty += TILE) {
    for (let tx = 0; tx < width; tx += TILE) {
      const tw = Math.min(TILE, width - tx);
      const th = Math.min(TILE, height - ty);
      if (!anyMasked(mask, width, tx, ty, tw, th)) continue;
      const x0 = Math.max(0, tx - MARGIN);
      const y0 = Math.max(0, ty - MARGIN);
      const x1 = Math.min(width, tx + tw + MARGIN);
      const y1 = Math.min(height, ty + th + MARGIN);
      const rw = x1 - x0;
      const rh = y1 - y0;
      withMats((keep) => {
        const m = keep(new cv.Mat(rh, rw, cv.CV_8UC1));
        for (let y = 0; y < rh; y++) m.data.set(mask.subarray((y0 + y) * width + x0, (y0 + y) * width + x1), y * rw);
        // 8-bit: all three channels in one call; 16-bit: Telea takes one 16-bit channel at a time.
        const planes = depth === 8 ? [null] : [0, 1, 2];
        for (const ch of planes) {
          const src = keep(new cv.Mat(rh, rw, ch === null ? cv.CV_8UC3 : cv.CV_16UC1));
          const s = ch === null ? src.data : src.data16U;
          const nc = ch === null ? 3 : 1;
          for (let y = 0; y < rh; y++) {
            for (let x = 0; x < rw; x++) {
              const i = ((y0 + y) * width + x0 + x) * 3;
              const o = (y * rw + x) * nc;
              if (ch === null) {
                s[o] = img.data[i];
                s[o + 1] = img.data[i + 1];
                s[o + 2] = img.data[i + 2];
              } else s[o] = img.data[i + ch];
            }
          }
          const dst = keep(new cv.Mat());
          cv.inpaint(src, m, dst, radius, cv.INPAINT_TELEA);
          const d = ch === null ? dst.data : dst.data16U;
          for (let y = ty; y < ty + th; y++) {
            for (let x = tx; x < tx + tw; x++) {
              if (!mask[y * width + x]) continue;
              const o = ((y - y0) * rw + (x - x0)) * nc;
              const i = (y * width + x) * 3;
              if (ch === null) {
                out.data[i] = d[o];
                out.data[i + 1] = d[o + 1];
                out.data[i + 2] = d[o + 2];
              } else out.data[i + ch] = d[o];
            }
          }
        }
      });
    }
  }
  return out;
}

function anyMasked(mask: Uint8Array, width: number, x: number, y: number, w: number, h: number): boolean {
  for (let yy = y; yy < y + h; yy++) {
    const row = yy * width;
    for (let xx = x; xx < x + w; xx++) if (mask[row + xx]) return true;
  }
  return false;
}
