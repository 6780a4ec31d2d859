/**
 * Aligned input: a photo that is already one face in the FFHQ layout (what PMRF's demo hands the
 * model; a face someone aligned before). Its transform to the model's crop is a plain resize and the
 * restored face replaces the whole image. `alignedFaceOf` makes that one face; `looksAligned` tells
 * whether a square photo's detected face already sits on the template, so a front end can offer it.
 */
import type { DetectedFace, Point } from '../../../src-shared/faces.ts';
import { faceTransform } from './align.ts';
import { type Affine, applyAffine, composeAffine, scaleAffine, templateFor } from './geometry.ts';
import { UserError } from '../../util/errors.ts';

export type { AlignedMode } from '../../../src-shared/settings.ts';

/** Width and height may differ by this fraction (a 512x511 export): beyond it the photo is not a face crop. */
const SQUARE_TOLERANCE = 0.01;

export function isSquare(width: number, height: number): boolean {
  return Math.abs(width - height) <= SQUARE_TOLERANCE * Math.max(width, height);
}

/**
 * The one face of an aligned photo: the whole image, its 5 points where the template puts them
 * (so the usual alignment gives exactly the resize to the model's size, and drawing, paste-back and
 * stored faces need nothing new).
 */
export function alignedFaceOf(width: number, height: number, path = 'the photo'): DetectedFace {
  if (!isSquare(width, height)) {
    throw new UserError(`${path} is ${width}x${height}: an aligned face must be square (like 512x512). Restore it without --aligned to find its faces.`);
  }
  const kx = width / 512;
  const ky = height / 512;
  const points = templateFor(512).map(([x, y]): Point => [x * kx, y * ky]) as DetectedFace['points'];
  return { box: [0, 0, width, height], score: 1, points };
}

/** How far an image -> crop transform is from the plain resize, in the crop's 512 pixels. */
export interface AlignmentDeviation {
  /** Shift of the crop's centre (px at 512). */
  tx: number;
  ty: number;
  /** Scale relative to the resize (1 = same). */
  scale: number;
  degrees: number;
}

export function deviationFromResize(toCrop: Affine, width: number): AlignmentDeviation {
  // toCrop after the inverse of the resize (512 -> image): the identity when they agree.
  const m = composeAffine(toCrop, scaleAffine(width / 512));
  const [cx, cy] = applyAffine(m, [256, 256]);
  return { tx: cx - 256, ty: cy - 256, scale: Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3])), degrees: (Math.atan2(m[3], m[0]) * 180) / Math.PI };
}

/**
 * How close a detected face must sit to the template for a square photo to be offered as aligned.
 * Measured on fixtures/aligned: re-aligning an aligned face gives up to 5.9 px, 5.9 % and 3.1
 * degrees (the landmark net's own error); a face in an ordinary square portrait is far off in scale
 * (it fills a fraction of the frame).
 */
export const LOOKS_ALIGNED = { shiftPx: 10, scale: 0.08, degrees: 5 } as const;

/** A square photo with exactly one face to restore, sitting on the template within LOOKS_ALIGNED. */
export function looksAligned(width: number, height: number, faces: readonly DetectedFace[]): boolean {
  if (!isSquare(width, height)) return false;
  const restorable = faces.filter((f) => f.skipped === undefined);
  if (restorable.length !== 1) return false;
  const d = deviationFromResize(faceTransform(restorable[0], 512), width);
  return Math.hypot(d.tx, d.ty) <= LOOKS_ALIGNED.shiftPx && Math.abs(d.scale - 1) <= LOOKS_ALIGNED.scale && Math.abs(d.degrees) <= LOOKS_ALIGNED.degrees;
}
