/**
 * Consistency with the photo for small faces (issue 10, item 3). A face whose native size is r
 * times smaller than the model's crop holds no real detail below r x r pixels, but its r x r block
 * means are measured: the restored face, averaged the same way, should agree with the input crop.
 *
 * A = block mean over r x r blocks (after luminance for monochrome prints); A⁺ = replication;
 * P = A⁺A. The guidance term w (A⁺y − P x̂) is stiff for large w, so it is integrated exactly over
 * each step (as conjugate integrators do): with x̂' = x̂ + γ (A⁺y − P x̂), γ = (1−t)(1 − e^{−λh})/h,
 * the Euler-form step x + h (x̂' − x)/(1 − t) adds exactly (1 − e^{−λh}) (A⁺y − P x̂) to the
 * sampler's step. The factor stays below 1 for any λ (bounded at λ = 1e4), is 0 at λ = 0 (nothing
 * is touched: bit-identical to unguided) and needs no extra network evaluation. Pixels a damage
 * mask marks are left out of A (their block mean is over the other pixels; A⁺ replicates to the
 * unmasked pixels only: the pseudo-inverse of that mean).
 */
import type { StepCorrection } from './samplers.ts';

/** Rec. 601 luma weights; they sum to 1, so replicating a luminance to RGB keeps it. */
const LUMA = [0.299, 0.587, 0.114] as const;

export interface ConsistencySpec {
  /** Block size r >= 2 in crop pixels (a coarser r' = 2r keeps print blur and grain out). */
  block: number;
  /** Compare luminance only (monochrome and sepia prints: their colour is not evidence). */
  luma: boolean;
  /** [S*S], 1 = a damaged pixel, left out of A (scratches, once the repair stage marks them). */
  mask?: Uint8Array;
}

/** A face's target y = A·crop and the operator it was measured with. */
export interface ConsistencyTarget extends ConsistencySpec {
  size: number;
  /** [channels, ceil(S/r), ceil(S/r)] block means, channels = 1 (luma) or 3. */
  y: Float32Array;
}

function blocksPerSide(size: number, block: number): number {
  return Math.ceil(size / block);
}

function checkSpec(spec: ConsistencySpec, size: number): void {
  if (!Number.isInteger(spec.block) || spec.block < 2 || spec.block > size) throw new Error(`consistency block ${spec.block} must be an integer from 2 to ${size}`);
  if (spec.mask !== undefined && spec.mask.length !== size * size) throw new Error(`consistency mask has ${spec.mask.length} values for a ${size}x${size} face`);
}

/**
 * A x for one face x [3,S,S]: block means over unmasked pixels, [c, B, B] (c = 1 for luma).
 * `counts` gets the number of unmasked pixels per block (0: the block has no constraint).
 */
export function blockMeans(x: Float32Array, size: number, spec: ConsistencySpec, counts?: Float32Array): Float32Array {
  checkSpec(spec, size);
  const r = spec.block;
  const B = blocksPerSide(size, r);
  const plane = size * size;
  const channels = spec.luma ? 1 : 3;
  const sums = new Float64Array(channels * B * B);
  const n = new Float64Array(B * B);
  for (let py = 0; py < size; py++) {
    const by = Math.floor(py / r);
    for (let px = 0; px < size; px++) {
      const p = py * size + px;
      if (spec.mask !== undefined && spec.mask[p] !== 0) continue;
      const b = by * B + Math.floor(px / r);
      n[b]++;
      if (spec.luma) sums[b] += LUMA[0] * x[p] + LUMA[1] * x[plane + p] + LUMA[2] * x[2 * plane + p];
      else for (let c = 0; c < 3; c++) sums[c * B * B + b] += x[c * plane + p];
    }
  }
  const out = new Float32Array(channels * B * B);
  for (let c = 0; c < channels; c++) for (let b = 0; b < B * B; b++) out[c * B * B + b] = n[b] > 0 ? sums[c * B * B + b] / n[b] : 0;
  if (counts !== undefined) counts.set(n);
  return out;
}

/** The target y = A·crop for one aligned input face crop [3,S,S]. */
export function consistencyTarget(crop: Float32Array, size: number, spec: ConsistencySpec): ConsistencyTarget {
  if (crop.length !== 3 * size * size) throw new Error(`consistency crop has ${crop.length} values for 3x${size}x${size}`);
  return { ...spec, size, y: blockMeans(crop, size, spec) };
}

/** ‖A x − y‖ (Euclidean, over the blocks with unmasked pixels) for one face x [3,S,S]. */
export function consistencyError(x: Float32Array, target: ConsistencyTarget): number {
  const counts = new Float32Array(blocksPerSide(target.size, target.block) ** 2);
  const ax = blockMeans(x, target.size, target, counts);
  let s = 0;
  for (let i = 0; i < ax.length; i++) if (counts[i % counts.length] > 0) s += (ax[i] - target.y[i]) ** 2;
  return Math.sqrt(s);
}

/** x += w A⁺(y − A x̂) for one face (offsets into batch arrays). */
function pull(x: Float32Array, xhat: Float32Array, offset: number, target: ConsistencyTarget, w: number): void {
  const { size, block: r } = target;
  const B = blocksPerSide(size, r);
  const plane = size * size;
  const counts = new Float32Array(B * B);
  const ax = blockMeans(xhat.subarray(offset, offset + 3 * plane), size, target, counts);
  const channels = target.luma ? 1 : 3;
  const delta = new Float32Array(channels * B * B);
  for (let i = 0; i < delta.length; i++) delta[i] = w * (target.y[i] - ax[i]);
  for (let py = 0; py < size; py++) {
    const by = Math.floor(py / r);
    for (let px = 0; px < size; px++) {
      const p = py * size + px;
      if (target.mask !== undefined && target.mask[p] !== 0) continue;
      const b = by * B + Math.floor(px / r);
      // Luma: the same change on every channel (replication), which moves the luminance by exactly it.
      for (let c = 0; c < 3; c++) x[offset + c * plane + p] += delta[(channels === 1 ? 0 : c) * B * B + b];
    }
  }
}

/**
 * The guidance as a sampler step correction for a batch of faces [n,3,S,S]; faces without a
 * target (null) are left alone.
 */
export class ConsistencyGuidance implements StepCorrection {
  constructor(
    readonly lambda: number,
    private readonly targets: readonly (ConsistencyTarget | null)[],
  ) {
    if (!(lambda >= 0 && Number.isFinite(lambda))) throw new Error(`consistency strength ${lambda} must be a number >= 0`);
  }

  /** The share of the gap closed over a step of length h: 1 − e^{−λh}, in [0, 1] (1 once λh is large). */
  weight(h: number): number {
    return -Math.expm1(-this.lambda * h);
  }

  apply(x: Float32Array, xhat: Float32Array, h: number): void {
    const w = this.weight(h);
    if (w !== 0) pullBatch(x, xhat, this.targets, w);
  }
}

/** x += w A⁺(y − A x̂) for each face of a batch [n,3,S,S] that has a target. */
export function pullBatch(x: Float32Array, xhat: Float32Array, targets: readonly (ConsistencyTarget | null)[], w: number): void {
  const per = x.length / targets.length;
  targets.forEach((target, i) => {
    if (target === null) return;
    if (per !== 3 * target.size * target.size) throw new Error(`consistency target for ${target.size}px faces, batch has ${per} values per face`);
    pull(x, xhat, i * per, target, w);
  });
}
