/**
 * Which faces get the consistency guidance (inference/guidance.ts) and how: a face whose native
 * size in the photo is r >= 2 times smaller than the model's crop is compared over blocks of
 * 2r crop pixels (the coarser r' = 2r keeps print blur and grain out of what is matched),
 * on luminance only for gray and toned prints, leaving out pixels a damage mask marks.
 */
import type { ConsistencySpec } from '../inference/guidance.ts';
import type { AlignedFaces } from './align.ts';
import type { ToneKind } from './decode.ts';

/** How many crop pixels one photo pixel of face i covers (the alignment's magnification). */
export function nativeFactor(aligned: AlignedFaces, i: number): number {
  const [a, b, , d, e] = aligned.transforms[i];
  return Math.sqrt(Math.abs(a * e - b * d));
}

/**
 * One spec per aligned face, or null where the face is not small enough (r < 2) to be helped.
 * `masks`: per face, [S*S] in crop pixels, 1 = damaged (from the repair stage), or null.
 */
export function consistencySpecs(aligned: AlignedFaces, tone: ToneKind, masks?: readonly (Uint8Array | null)[]): (ConsistencySpec | null)[] {
  return Array.from({ length: aligned.n }, (_, i) => {
    const r = Math.floor(nativeFactor(aligned, i));
    if (r < 2) return null;
    const mask = masks?.[i] ?? undefined;
    return { block: Math.min(2 * r, aligned.size), luma: tone !== 'colour', ...(mask === undefined ? {} : { mask }) };
  });
}
