/** Chris Wellons' lowbias32 integer hash (32-bit in, 32-bit out). Shared by the seeded noise and
 * the test-checkpoint weight formula, whose outputs are pinned bit for bit. */
export function lowbias32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}
