/**
 * Align stage: a least-squares similarity of the eyes and mouth corners onto the FFHQ template, then a
 * bicubic warp (antialiased when the face is larger than the template) into [n,3,S,S] float32
 * NCHW RGB in [0,1]. Outside the photo the edge pixels are replicated, never black.
 */
import type { DetectedFace } from '../../../src-shared/faces.ts';
import { type Affine, estimateSimilarity, invertAffine, templateFor } from './geometry.ts';
import type { Raster } from './raster.ts';
import { BicubicSampler, type Source, prepareSource, sourceOf } from './sample.ts';

export interface AlignedFaces {
  /** [n,3,size,size] float32 NCHW RGB in [0,1]. */
  faces: Float32Array;
  n: number;
  size: number;
  /** Per face: photo (continuous pixel coordinates) -> aligned face coordinates. */
  transforms: Affine[];
}

/**
 * Weights of the 5 points (eyes, nose tip, mouth corners) in the fit. The nose is left out: the
 * landmark net's nose tip (68-point 30) sits on average 14 px (at 512) below the template's nose
 * point, and the fit followed it (scale, vertical shift). Measured on the six faces of
 * fixtures/aligned (re-aligning an aligned face, tests/integration/align-identity.test.ts) against
 * the 5-point fit and FFHQ's own crop recipe from eye and mouth centres: this fit has the smallest
 * mean translation and a mean scale within 1 %; see ARCHITECTURE.md for the numbers.
 */
export const POINT_WEIGHTS = [1, 1, 0, 1, 1] as const;

/** The photo -> aligned-face transform for one face. */
export function faceTransform(face: Pick<DetectedFace, 'points'>, size: number): Affine {
  return estimateSimilarity(face.points, templateFor(size), POINT_WEIGHTS);
}

/** Warp a source into `out` at `offset` as planar RGB [3,size,size], given source -> face. */
export async function warpToFace(src: Source, srcToFace: Affine, size: number, out: Float32Array, offset: number): Promise<void> {
  const prepared = await prepareSource(src, srcToFace, size, size);
  const inv = invertAffine(prepared.srcToDst);
  const sampler = new BicubicSampler(prepared.source);
  const plane = size * size;
  for (let v = 0; v < size; v++) {
    const cy = v + 0.5;
    // Row start in source coordinates, then step along the row: one affine evaluation per row.
    let x = inv[0] * 0.5 + inv[1] * cy + inv[2];
    let y = inv[3] * 0.5 + inv[4] * cy + inv[5];
    let o = offset + v * size;
    for (let u = 0; u < size; u++, o++) {
      const rgb = sampler.sample(x, y);
      out[o] = clamp01(rgb[0]);
      out[o + plane] = clamp01(rgb[1]);
      out[o + 2 * plane] = clamp01(rgb[2]);
      x += inv[0];
      y += inv[3];
    }
  }
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Align every face of a photo into one batch (skipped faces must be filtered out by the caller). */
export async function alignFaces(
  image: Raster,
  faces: readonly Pick<DetectedFace, 'points'>[],
  size: number,
  signal?: AbortSignal,
): Promise<AlignedFaces> {
  const plane = 3 * size * size;
  const out = new Float32Array(faces.length * plane);
  const src = sourceOf(image);
  const transforms: Affine[] = [];
  for (let i = 0; i < faces.length; i++) {
    signal?.throwIfAborted();
    const t = faceTransform(faces[i], size);
    transforms.push(t);
    await warpToFace(src, t, size, out, i * plane);
  }
  return { faces: out, n: faces.length, size, transforms };
}
