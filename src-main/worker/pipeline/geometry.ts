/**
 * 2D similarity/affine math for face alignment. Coordinates are continuous pixel coordinates:
 * pixel i covers [i, i+1) and its centre is i + 0.5.
 */
import type { Point } from '../../../src-shared/faces.ts';

/** x' = a*x + b*y + c;  y' = d*x + e*y + f */
export type Affine = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

/** The 512x512 FFHQ template of the published face-restoration pipelines (eyes, nose, mouth corners). */
export const FFHQ_TEMPLATE_512: readonly Point[] = [
  [192.98138, 239.94708],
  [318.90277, 240.1936],
  [256.63416, 314.01935],
  [201.26117, 371.41043],
  [313.08905, 371.15118],
];

export function templateFor(size: number): Point[] {
  const k = size / 512;
  return FFHQ_TEMPLATE_512.map(([x, y]): Point => [x * k, y * k]);
}

/**
 * Least-squares similarity transform (scale, rotation, translation; no reflection, no shear)
 * mapping `src` points onto `dst` points: minimises sum w_i |T(src_i) - dst_i|^2 (w_i = 1 without
 * weights; a point of weight 0 does not count).
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[], weights?: readonly number[]): Affine {
  const n = src.length;
  if (n < 2 || dst.length !== n || (weights !== undefined && weights.length !== n)) {
    throw new Error('estimateSimilarity needs >= 2 matching point pairs');
  }
  const w = (i: number) => weights?.[i] ?? 1;
  let sw = 0, mx = 0, my = 0, nx = 0, ny = 0;
  for (let i = 0; i < n; i++) {
    sw += w(i);
    mx += w(i) * src[i][0]; my += w(i) * src[i][1];
    nx += w(i) * dst[i][0]; ny += w(i) * dst[i][1];
  }
  if (sw <= 0) throw new Error('estimateSimilarity: no point has a positive weight');
  mx /= sw; my /= sw; nx /= sw; ny /= sw;
  let ss = 0, sa = 0, sb = 0;
  for (let i = 0; i < n; i++) {
    const px = src[i][0] - mx, py = src[i][1] - my;
    const qx = dst[i][0] - nx, qy = dst[i][1] - ny;
    ss += w(i) * (px * px + py * py);
    sa += w(i) * (px * qx + py * qy);
    sb += w(i) * (px * qy - py * qx);
  }
  if (ss < 1e-12) throw new Error('estimateSimilarity: source points coincide');
  const a = sa / ss;
  const b = sb / ss;
  // [a -b; b a] is scale*rotation.
  return [a, -b, nx - (a * mx - b * my), b, a, ny - (b * mx + a * my)];
}

export function applyAffine(m: Affine, p: Point): Point {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const det = m[0] * m[4] - m[1] * m[3];
  if (Math.abs(det) < 1e-15) throw new Error('invertAffine: singular transform');
  const ia = m[4] / det, ib = -m[1] / det, id = -m[3] / det, ie = m[0] / det;
  return [ia, ib, -(ia * m[2] + ib * m[5]), id, ie, -(id * m[2] + ie * m[5])];
}

/** (second ∘ first)(p) = second(first(p)). */
export function composeAffine(second: Affine, first: Affine): Affine {
  return [
    second[0] * first[0] + second[1] * first[3],
    second[0] * first[1] + second[1] * first[4],
    second[0] * first[2] + second[1] * first[5] + second[2],
    second[3] * first[0] + second[4] * first[3],
    second[3] * first[1] + second[4] * first[4],
    second[3] * first[2] + second[4] * first[5] + second[5],
  ];
}

/** Uniform scale factor of a similarity (geometric mean for a general affine). */
export function affineScale(m: Affine): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
}

export function scaleAffine(k: number): Affine {
  return [k, 0, 0, 0, k, 0];
}

/** Axis-aligned bounds of the rectangle [0,w)x[0,h) mapped through m. */
export function mappedBounds(m: Affine, w: number, h: number): { x0: number; y0: number; x1: number; y1: number } {
  const corners = [applyAffine(m, [0, 0]), applyAffine(m, [w, 0]), applyAffine(m, [0, h]), applyAffine(m, [w, h])];
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}
