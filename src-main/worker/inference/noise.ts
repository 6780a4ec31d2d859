/**
 * Seeded Gaussian noise for the flow's starting point. Integer hashing plus V8's fdlibm-based
 * Math.log / Math.cos / Math.sin, so the same seed gives the same bits on every platform.
 */
import { UserError } from '../../util/errors.ts';
import { lowbias32 } from '../../util/hash32.ts';

/** A 32-bit stream key from any safe integer seed (negative and > 2^32 seeds stay distinct). */
function streamKey(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new UserError(`seed ${seed} must be an integer`);
  const lo = Number(BigInt.asUintN(32, BigInt(seed)));
  const hi = Number(BigInt.asUintN(32, BigInt(seed) >> 32n));
  return lowbias32(lo ^ lowbias32(hi ^ 0x9e3779b9));
}

/** Uniform in (0, 1]: 24 hashed bits of counter `i`. */
function uniform(key: number, i: number): number {
  return ((lowbias32((key + lowbias32(i)) >>> 0) >>> 8) + 1) * 2 ** -24;
}

/** n samples of N(0, 1) (Box-Muller on a counter-based hash), rounded to float32. */
export function gaussianNoise(seed: number, n: number): Float32Array {
  const key = streamKey(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform(key, i)));
    const a = 2 * Math.PI * uniform(key, i + 1);
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}
