/**
 * Paste stage: each restored face is warped back into the (scaled) photo through the inverse of its
 * alignment, antialiased when it shrinks, and blended with a feathered mask (the face square eroded
 * and smoothly ramped, so no seam). Colour:
 *  - colour photos: the restored face's chroma mean is matched to the original face's (no colour
 *    shift); its luminance detail is kept;
 *  - gray and toned (sepia) prints: only the restored luminance is used, added as a neutral delta to
 *    the original pixel, so the print's own chroma stays (gray in -> R=G=B out, exactly).
 * Overlapping faces are blended by their accumulated weights, never overwritten.
 */
import type { ToneKind } from './decode.ts';
import sharp from 'sharp';
import { type Affine, affineScale, composeAffine, invertAffine, mappedBounds, scaleAffine } from './geometry.ts';
import { type Raster, maxValue, rgbToYcc } from './raster.ts';
import { type AntialiasKernel, type BicubicSampler, type Source, type StretchedSampler, samplerFor } from './sample.ts';

/** Fraction of the face square cut away at its border, then the width of the smooth ramp. */
const MASK_INSET = 0.02;
const MASK_RAMP = 0.1;

/** Feather weight at continuous face coordinates (u, v) of an S x S aligned face, in [0, 1]. */
export function maskAt(u: number, v: number, size: number): number {
  const d = Math.min(u, size - u, v, size - v);
  const t = (d - MASK_INSET * size) / (MASK_RAMP * size);
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t * t * (3 - 2 * t);
}

/**
 * Shift the restored face's chroma (Cb, Cr) mean onto the original aligned face's, weighted by the
 * mask, keeping the restored luminance. Both are planar [3,S,S] in [0,1]; returns a new array.
 */
export function matchChroma(restored: Float32Array, original: Float32Array, size: number): Float32Array {
  const plane = size * size;
  let wsum = 0, rR = 0, gR = 0, bR = 0, rO = 0, gO = 0, bO = 0;
  for (let v = 0; v < size; v += 2) {
    for (let u = 0; u < size; u += 2) {
      const w = maskAt(u + 0.5, v + 0.5, size);
      if (w === 0) continue;
      const i = v * size + u;
      // Chroma mean of a weighted set = chroma of its weighted RGB mean (YCbCr is linear).
      wsum += w;
      rR += w * restored[i]; gR += w * restored[i + plane]; bR += w * restored[i + 2 * plane];
      rO += w * original[i]; gO += w * original[i + plane]; bO += w * original[i + 2 * plane];
    }
  }
  const out = new Float32Array(restored.length);
  if (wsum === 0) {
    out.set(restored);
    return out;
  }
  const [, cbR, crR] = rgbToYcc(rR / wsum, gR / wsum, bR / wsum);
  const [, cbO, crO] = rgbToYcc(rO / wsum, gO / wsum, bO / wsum);
  const dCb = cbO - cbR;
  const dCr = crO - crR;
  // Adding (dCb, dCr) in YCbCr at constant Y, expressed in RGB.
  const dr = dCr / 0.713;
  const db = dCb / 0.564;
  const dg = (-0.299 * dr - 0.114 * db) / 0.587;
  for (let i = 0; i < plane; i++) {
    out[i] = restored[i] + dr;
    out[i + plane] = restored[i + plane] + dg;
    out[i + 2 * plane] = restored[i + 2 * plane] + db;
  }
  return out;
}

export interface FaceToPaste {
  /** Planar [3,S,S] RGB in [0,1]: the restored face. */
  restored: Float32Array;
  /** Planar [3,S,S] RGB in [0,1]: the aligned face before restoration (for colour statistics). */
  original: Float32Array;
  /** Output-image continuous coordinates -> aligned face coordinates. */
  outToFace: Affine;
  size: number;
  /** The face is the whole photo (aligned input): weight 1 everywhere it covers, no feathering. */
  whole?: boolean;
}

interface Prepared {
  x0: number; y0: number; x1: number; y1: number;
  outToFace: Affine;
  outToSrc: Affine;
  sampler: BicubicSampler | StretchedSampler;
  size: number;
  whole: boolean;
}

/** Planar [3,S,S] -> interleaved RGB float (the samplers' layout), values clamped to [0, 1]. */
function planarToInterleaved(face: Float32Array, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    for (let i = 0, o = c; i < plane; i++, o += 3) {
      const v = face[base + i];
      out[o] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return out;
}

async function prepare(face: FaceToPaste, tone: ToneKind, width: number, height: number): Promise<Prepared | undefined> {
  const { size } = face;
  const faceToOut = invertAffine(face.outToFace);
  const b = mappedBounds(faceToOut, size, size);
  const x0 = Math.max(0, Math.floor(b.x0));
  const y0 = Math.max(0, Math.floor(b.y0));
  const x1 = Math.min(width, Math.ceil(b.x1));
  const y1 = Math.min(height, Math.ceil(b.y1));
  if (x1 <= x0 || y1 <= y0) return undefined;
  const pixels = tone === 'colour' ? matchChroma(face.restored, face.original, size) : face.restored;
  const ratio = affineScale(face.outToFace);
  let src: Source = { width: size, height: size, data: planarToInterleaved(pixels, size), norm: 1 };
  let outToSrc = face.outToFace;
  let kernel: AntialiasKernel = 'lanczos3';
  if (ratio >= REDUCE_FIRST_RATIO) {
    // A much smaller face: reduce it natively (lanczos3) to 2 face px per output px first, so the
    // stretched kernel stays short; the reduction's own lowpass sits far above the output's Nyquist.
    const n = Math.max(8, Math.round((size * 2) / ratio));
    src = await reduceFace(src, n);
    outToSrc = composeAffine(scaleAffine(n / size), face.outToFace);
    kernel = 'cubic';
  }
  return {
    x0, y0, x1, y1,
    outToFace: face.outToFace,
    outToSrc,
    // One antialiased interpolation from the face to the output (no resample at the output's scale).
    sampler: samplerFor(src, affineScale(outToSrc), kernel),
    size,
    whole: face.whole === true,
  };
}

/** Face px per output px from which the face is first reduced with sharp (see prepare). */
const REDUCE_FIRST_RATIO = 3;

/** `src` holds float RGB in [0, 1] (planarToInterleaved's output). */
async function reduceFace(src: Source, n: number): Promise<Source> {
  const f = src.data as Float32Array;
  const u16 = new Uint16Array(f.length);
  for (let i = 0; i < u16.length; i++) u16[i] = f[i] * 65535 + 0.5; // values are in [0, 1]
  const { data } = await sharp(u16, { raw: { width: src.width, height: src.height, channels: 3 } })
    .resize(n, n, { fit: 'fill', kernel: 'lanczos3' })
    .toColourspace('rgb16')
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  return { width: n, height: n, data: new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)), norm: 1 / 65535 };
}

/**
 * Pixels [xa, xb) of row centre cy where the face's mask can be non-zero: along a row the face
 * coordinates are affine in x, so the inset square clips it to one interval.
 */
function rowSpan(p: Prepared, cy: number): [number, number] {
  if (p.whole) return [p.x0, p.x1];
  const m = p.outToFace;
  const lo = MASK_INSET * p.size;
  const hi = p.size - lo;
  let a = p.x0 + 0.5;
  let b = p.x1 - 0.5;
  // u = m0*x + cu, v = m3*x + cv must both lie in (lo, hi).
  for (const [k, c] of [[m[0], m[1] * cy + m[2]], [m[3], m[4] * cy + m[5]]]) {
    if (Math.abs(k) < 1e-12) {
      if (c <= lo || c >= hi) return [0, 0];
      continue;
    }
    const t0 = (lo - c) / k;
    const t1 = (hi - c) / k;
    a = Math.max(a, Math.min(t0, t1));
    b = Math.min(b, Math.max(t0, t1));
  }
  if (b < a) return [0, 0];
  return [Math.max(p.x0, Math.floor(a - 0.5)), Math.min(p.x1, Math.ceil(b - 0.5) + 1)];
}

function weightAt(p: Prepared, x: number, y: number): number {
  if (x < p.x0 || x >= p.x1 || y < p.y0 || y >= p.y1) return 0;
  if (p.whole) return 1;
  const m = p.outToFace;
  return maskAt(m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5], p.size);
}

const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

/**
 * Add face q's weighted contribution at output point (x, y) to `acc` ([dr, dg, db]): the difference
 * to the background in colour mode, or the luminance difference on all channels in luma mode.
 */
function accumulate(q: Prepared, w: number, x: number, y: number, bg: Float64Array, luma: boolean, acc: Float64Array): void {
  const m = q.outToSrc;
  const rgb = q.sampler.sample(m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]);
  if (luma) {
    const d = w * (LUMA_R * (rgb[0] - bg[0]) + LUMA_G * (rgb[1] - bg[1]) + LUMA_B * (rgb[2] - bg[2]));
    acc[0] += d;
    acc[1] += d;
    acc[2] += d;
  } else {
    acc[0] += w * (rgb[0] - bg[0]);
    acc[1] += w * (rgb[1] - bg[1]);
    acc[2] += w * (rgb[2] - bg[2]);
  }
}

/** Paste restored faces into `target` (the background at output scale), in place. */
export async function pasteFaces(target: Raster, faces: readonly FaceToPaste[], tone: ToneKind, signal?: AbortSignal): Promise<void> {
  const prepared: (Prepared | undefined)[] = [];
  for (const f of faces) prepared.push(await prepare(f, tone, target.width, target.height));
  const max = maxValue(target.depth);
  const norm = 1 / max;
  const luma = tone !== 'colour';
  const data = target.data;
  const W = target.width;

  for (let i = 0; i < prepared.length; i++) {
    signal?.throwIfAborted();
    const p = prepared[i];
    if (!p) continue;
    const others = prepared
      .map((q, j) => ({ q, j }))
      .filter(({ q, j }) => j !== i && q && q.x0 < p.x1 && q.x1 > p.x0 && q.y0 < p.y1 && q.y1 > p.y0) as { q: Prepared; j: number }[];
    const acc = new Float64Array(3);
    const bg = new Float64Array(3);
    for (let y = p.y0; y < p.y1; y++) {
      const cy = y + 0.5;
      const [xa, xb] = rowSpan(p, cy);
      for (let x = xa; x < xb; x++) {
        const cx = x + 0.5;
        const w = weightAt(p, cx, cy);
        if (w === 0) continue;
        // A pixel shared with an earlier face was already written, with every face's weight.
        let owner = true;
        for (const o of others) if (o.j < i && weightAt(o.q, cx, cy) > 0) owner = false;
        if (!owner) continue;
        const o = (y * W + x) * 3;
        bg[0] = data[o] * norm;
        bg[1] = data[o + 1] * norm;
        bg[2] = data[o + 2] * norm;
        acc[0] = 0;
        acc[1] = 0;
        acc[2] = 0;
        accumulate(p, w, cx, cy, bg, luma, acc);
        let total = w;
        for (const other of others) {
          const wq = weightAt(other.q, cx, cy);
          if (wq > 0) {
            accumulate(other.q, wq, cx, cy, bg, luma, acc);
            total += wq;
          }
        }
        const k = total > 1 ? 1 / total : 1;
        const v0 = bg[0] + acc[0] * k, v1 = bg[1] + acc[1] * k, v2 = bg[2] + acc[2] * k;
        data[o] = v0 <= 0 ? 0 : v0 >= 1 ? max : Math.round(v0 * max);
        data[o + 1] = v1 <= 0 ? 0 : v1 >= 1 ? max : Math.round(v1 * max);
        data[o + 2] = v2 <= 0 ? 0 : v2 >= 1 ? max : Math.round(v2 * max);
      }
    }
  }
}
