/**
 * The repair stage: find print damage (detect-damage.ts) or take the user's mask, and fill it from
 * the surroundings (inpaint.ts). Runs on the decoded photo before faces are aligned, so the faces
 * are restored from repaired pixels. Pixels outside the mask are returned unchanged.
 */
import { performance } from 'node:perf_hooks';
import type { DetectedFace } from '../../../../src-shared/faces.ts';
import { type Affine, invertAffine } from '../geometry.ts';
import type { Raster } from '../raster.ts';
import { type DamageTuning, type EyePoint, type FaceZone, detectDamage } from './detect-damage.ts';
import { inpaintMasked } from './inpaint.ts';

export interface RepairOptions {
  /** Eyes of the photo's faces: their catchlights are not dust. */
  eyes?: readonly EyePoint[];
  /** The photo's faces: dark strokes on them are features unless they cross the face. */
  faces?: readonly FaceZone[];
  /** The user's mask (255 = repair, photo size): used instead of the detector. */
  mask?: Uint8Array;
  tuning?: Partial<DamageTuning>;
}

export interface RepairOutcome {
  image: Raster;
  /** 255 = repaired, one byte per pixel. */
  mask: Uint8Array;
  /** Pixels repaired. */
  pixels: number;
  /** Damage found by the detector ('given' masks report 0 and 0). */
  lines: number;
  specks: number;
  maskSource: 'detected' | 'given';
  ms: number;
}

/** Eye centres of detected faces, each protecting a disc of a quarter of the eye distance. */
export function eyesOfFaces(faces: readonly DetectedFace[]): EyePoint[] {
  return faces.flatMap((f) => {
    const [l, r] = f.points;
    const radius = 0.25 * Math.hypot(r[0] - l[0], r[1] - l[1]);
    return [
      { x: l[0], y: l[1], radius },
      { x: r[0], y: r[1], radius },
    ];
  });
}

/** Each face's feature zone: around the centre of its eyes and mouth. */
export function zonesOfFaces(faces: readonly DetectedFace[]): FaceZone[] {
  return faces.map((f) => {
    const xs = f.points.map((p) => p[0]);
    const ys = f.points.map((p) => p[1]);
    const x = xs.reduce((a, b) => a + b) / 5;
    const y = ys.reduce((a, b) => a + b) / 5;
    const eyes = Math.hypot(f.points[1][0] - f.points[0][0], f.points[1][1] - f.points[0][1]);
    const angle = Math.atan2(f.points[1][1] - f.points[0][1], f.points[1][0] - f.points[0][0]);
    return { x, y, radius: 1.3 * eyes, crossing: 1.6 * eyes, angle };
  });
}

/** What the detector must leave alone on these faces. */
export function protectFaces(faces: readonly DetectedFace[]): Pick<RepairOptions, 'eyes' | 'faces'> {
  return { eyes: eyesOfFaces(faces), faces: zonesOfFaces(faces) };
}

export async function repairDamage(img: Raster, options: RepairOptions = {}): Promise<RepairOutcome> {
  const t0 = performance.now();
  let mask: Uint8Array;
  let lines = 0;
  let specks = 0;
  if (options.mask !== undefined) {
    if (options.mask.length !== img.width * img.height) {
      throw new Error(`damage mask has ${options.mask.length} pixels, the photo ${img.width * img.height}`);
    }
    mask = options.mask;
  } else {
    const found = await detectDamage(img, { eyes: options.eyes, faces: options.faces, tuning: options.tuning });
    mask = found.mask;
    lines = found.lines;
    specks = found.specks;
  }
  let pixels = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) pixels++;
  const image = pixels === 0 ? img : await inpaintMasked(img, mask);
  return {
    image,
    mask,
    pixels,
    lines,
    specks,
    maskSource: options.mask !== undefined ? 'given' : 'detected',
    ms: performance.now() - t0,
  };
}

/**
 * The repair mask seen from each aligned face ([size*size], 1 = repaired pixel, nearest sample),
 * so the consistency guidance leaves filled-in pixels out of its comparison with the photo.
 * Null for a face with no repaired pixel.
 */
export function faceMasks(mask: Uint8Array, width: number, height: number, transforms: readonly Affine[], size: number): (Uint8Array | null)[] {
  return transforms.map((t) => {
    const [a, b, c, d, e, f] = invertAffine(t);
    const out = new Uint8Array(size * size);
    let any = false;
    for (let v = 0; v < size; v++) {
      for (let u = 0; u < size; u++) {
        const x = Math.floor(a * (u + 0.5) + b * (v + 0.5) + c);
        const y = Math.floor(d * (u + 0.5) + e * (v + 0.5) + f);
        if (x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x]) {
          out[v * size + u] = 1;
          any = true;
        }
      }
    }
    return any ? out : null;
  });
}
