/**
 * Resampling helpers shared by align (photo -> face) and paste (face -> photo): bicubic sampling
 * with edge replication, and an antialiasing prefilter (sharp's lanczos3 reduce) for when the
 * destination is smaller than the source, so a warp never aliases.
 */
import sharp from 'sharp';
import { type Affine, affineScale, composeAffine, invertAffine, mappedBounds } from './geometry.ts';

/** Interleaved 3-channel pixels; value * norm is in [0, 1]. */
export interface Source {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array | Float32Array;
  norm: number;
}

export function sourceOf(r: { width: number; height: number; depth: 8 | 16; data: Uint8Array | Uint16Array }): Source {
  return { width: r.width, height: r.height, data: r.data, norm: r.depth === 16 ? 1 / 65535 : 1 / 255 };
}

/** Reusable sampler: bicubic (Keys a = -0.5) at continuous (x, y), edge-replicated outside the source. */
export class BicubicSampler {
  readonly out = new Float64Array(3);

  constructor(readonly src: Source) {}

  /** Writes RGB in [0,1]-scale (may overshoot slightly, like any cubic) to `this.out`. */
  sample(x: number, y: number): Float64Array {
    const { width, height, data, norm } = this.src;
    const fx = x - 0.5;
    const fy = y - 0.5;
    const ix = Math.floor(fx);
    const iy = Math.floor(fy);
    const tx = fx - ix;
    const ty = fy - iy;
    const tx2 = tx * tx, tx3 = tx2 * tx, ty2 = ty * ty, ty3 = ty2 * ty;
    const wx0 = -0.5 * tx3 + tx2 - 0.5 * tx;
    const wx1 = 1.5 * tx3 - 2.5 * tx2 + 1;
    const wx2 = -1.5 * tx3 + 2 * tx2 + 0.5 * tx;
    const wx3 = 0.5 * tx3 - 0.5 * tx2;
    const wy0 = -0.5 * ty3 + ty2 - 0.5 * ty;
    const wy1 = 1.5 * ty3 - 2.5 * ty2 + 1;
    const wy2 = -1.5 * ty3 + 2 * ty2 + 0.5 * ty;
    const wy3 = 0.5 * ty3 - 0.5 * ty2;
    const stride = width * 3;
    // Column offsets (clamped: edge replication).
    const x0 = (ix - 1 < 0 ? 0 : ix - 1 >= width ? width - 1 : ix - 1) * 3;
    const x1 = (ix < 0 ? 0 : ix >= width ? width - 1 : ix) * 3;
    const x2 = (ix + 1 < 0 ? 0 : ix + 1 >= width ? width - 1 : ix + 1) * 3;
    const x3 = (ix + 2 < 0 ? 0 : ix + 2 >= width ? width - 1 : ix + 2) * 3;
    let r = 0, g = 0, b = 0;
    for (let j = 0; j < 4; j++) {
      const cy = iy - 1 + j;
      const row = (cy < 0 ? 0 : cy >= height ? height - 1 : cy) * stride;
      const wy = j === 0 ? wy0 : j === 1 ? wy1 : j === 2 ? wy2 : wy3;
      const o0 = row + x0, o1 = row + x1, o2 = row + x2, o3 = row + x3;
      r += wy * (wx0 * data[o0] + wx1 * data[o1] + wx2 * data[o2] + wx3 * data[o3]);
      g += wy * (wx0 * data[o0 + 1] + wx1 * data[o1 + 1] + wx2 * data[o2 + 1] + wx3 * data[o3 + 1]);
      b += wy * (wx0 * data[o0 + 2] + wx1 * data[o1 + 2] + wx2 * data[o2 + 2] + wx3 * data[o3 + 2]);
    }
    this.out[0] = r * norm;
    this.out[1] = g * norm;
    this.out[2] = b * norm;
    return this.out;
  }
}

/** Lanczos-3 sampled finely once (1/1024 steps, linear in between): two sines per tap are slow. */
const LANCZOS_STEPS = 1024;
const LANCZOS_TABLE = (() => {
  const t = new Float64Array(3 * LANCZOS_STEPS + 2);
  t[0] = 1;
  for (let i = 1; i < t.length; i++) {
    const x = i / LANCZOS_STEPS;
    const px = Math.PI * x;
    t[i] = x >= 3 ? 0 : (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
  }
  return t;
})();

function lanczos3(x: number): number {
  const a = (x < 0 ? -x : x) * LANCZOS_STEPS;
  if (a >= 3 * LANCZOS_STEPS) return 0;
  const i = a | 0;
  const f = a - i;
  return LANCZOS_TABLE[i] + f * (LANCZOS_TABLE[i + 1] - LANCZOS_TABLE[i]);
}

/** Keys cubic kernel (a = -0.5). */
function cubic(x: number): number {
  const t = x < 0 ? -x : x;
  if (t < 1) return (1.5 * t - 2.5) * t * t + 1;
  if (t < 2) return ((-0.5 * t + 2.5) * t - 4) * t + 2;
  return 0;
}

export type AntialiasKernel = 'lanczos3' | 'cubic';

/**
 * Antialiased sampling for a destination smaller than the source by `ratio` (> 1): the kernel
 * stretched by the ratio, in one pass (no second interpolation), normalised per axis. Its cost per
 * destination pixel grows with ratio^2, but the number of destination pixels shrinks by as much.
 */
export class StretchedSampler {
  private readonly wx: Float64Array;
  private readonly wy: Float64Array;
  readonly out = new Float64Array(3);
  private readonly radius: number;
  private readonly kernel: (x: number) => number;
  private first = 0;
  private count = 0;

  constructor(readonly src: Source, readonly ratio: number, kernel: AntialiasKernel = 'lanczos3') {
    const support = kernel === 'lanczos3' ? 3 : 2;
    this.kernel = kernel === 'lanczos3' ? lanczos3 : cubic;
    this.radius = support * Math.max(1, ratio);
    const taps = Math.ceil(2 * this.radius) + 2;
    this.wx = new Float64Array(taps);
    this.wy = new Float64Array(taps);
  }

  /** Fills w with normalised weights around f; sets this.first / this.count. */
  private weights(f: number, w: Float64Array): void {
    const first = Math.ceil(f - this.radius);
    const inv = 1 / Math.max(1, this.ratio);
    let sum = 0;
    let n = 0;
    for (let i = first; i <= f + this.radius && n < w.length; i++, n++) {
      const v = this.kernel((i - f) * inv);
      w[n] = v;
      sum += v;
    }
    for (let k = 0; k < n; k++) w[k] /= sum;
    this.first = first;
    this.count = n;
  }

  sample(x: number, y: number): Float64Array {
    const { width, height, data, norm } = this.src;
    this.weights(x - 0.5, this.wx);
    const x0 = this.first;
    const nx = this.count;
    this.weights(y - 0.5, this.wy);
    const y0 = this.first;
    const ny = this.count;
    let r = 0, g = 0, b = 0;
    for (let j = 0; j < ny; j++) {
      const cy = y0 + j;
      const row = (cy < 0 ? 0 : cy >= height ? height - 1 : cy) * width;
      let rr = 0, gg = 0, bb = 0;
      for (let i = 0; i < nx; i++) {
        const cx = x0 + i;
        const o = (row + (cx < 0 ? 0 : cx >= width ? width - 1 : cx)) * 3;
        const w = this.wx[i];
        rr += w * data[o];
        gg += w * data[o + 1];
        bb += w * data[o + 2];
      }
      const wy = this.wy[j];
      r += wy * rr;
      g += wy * gg;
      b += wy * bb;
    }
    this.out[0] = r * norm;
    this.out[1] = g * norm;
    this.out[2] = b * norm;
    return this.out;
  }
}

/** A sampler for a warp that shrinks the source by `ratio` (source pixels per destination pixel). */
export function samplerFor(src: Source, ratio: number, kernel: AntialiasKernel = 'lanczos3'): BicubicSampler | StretchedSampler {
  return ratio > 1.05 ? new StretchedSampler(src, ratio, kernel) : new BicubicSampler(src);
}

/** Below this source-per-destination pixel ratio plain bicubic is sharp and alias-free enough. */
const PREFILTER_RATIO = 1.25;

/**
 * Prepare `src` for a warp whose destination rectangle [0,dstW)x[0,dstH) relates to the source by
 * `srcToDst`. When the destination is smaller (ratio > 1.25), the part of the source that the warp
 * reads is cut out and reduced with lanczos3 to about the destination's scale; the returned
 * transform accounts for the crop and reduction exactly (sharp's reduce maps continuous
 * coordinates by pure scaling, checked by tests).
 */
export async function prepareSource(
  src: Source,
  srcToDst: Affine,
  dstW: number,
  dstH: number,
): Promise<{ source: Source; srcToDst: Affine }> {
  const ratio = 1 / affineScale(srcToDst);
  if (ratio <= PREFILTER_RATIO) return { source: src, srcToDst };
  const b = mappedBounds(invertAffine(srcToDst), dstW, dstH);
  const margin = 4 * ratio;
  const x0 = Math.max(0, Math.floor(b.x0 - margin));
  const y0 = Math.max(0, Math.floor(b.y0 - margin));
  const x1 = Math.min(src.width, Math.ceil(b.x1 + margin));
  const y1 = Math.min(src.height, Math.ceil(b.y1 + margin));
  if (x1 - x0 < 2 || y1 - y0 < 2) return { source: src, srcToDst };
  const rw = x1 - x0;
  const rh = y1 - y0;
  const nw = Math.max(2, Math.round(rw / ratio));
  const nh = Math.max(2, Math.round(rh / ratio));
  if (src.data instanceof Float32Array) throw new Error('prepareSource needs 8- or 16-bit pixels');
  const sixteen = src.data instanceof Uint16Array;
  const { data } = await sharp(src.data, { raw: { width: src.width, height: src.height, channels: 3 } })
    .extract({ left: x0, top: y0, width: rw, height: rh })
    .resize(nw, nh, { fit: 'fill', kernel: 'lanczos3' })
    .toColourspace(sixteen ? 'rgb16' : 'srgb')
    .raw({ depth: sixteen ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const pixels = sixteen ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) : new Uint8Array(data);
  const toRegion: Affine = [nw / rw, 0, (-x0 * nw) / rw, 0, nh / rh, (-y0 * nh) / rh];
  return {
    source: { width: nw, height: nh, data: pixels, norm: src.norm },
    srcToDst: composeAffine(srcToDst, invertAffine(toRegion)),
  };
}
