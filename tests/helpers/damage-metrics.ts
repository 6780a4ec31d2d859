/**
 * How well a repair did against synthetic damage whose exact alpha is known (synthetic-damage.ts).
 * Definitions (all reported by bench/repair.ts and checked by tests/integration/repair-*.test.ts):
 *  - recall: damage pixels (alpha >= 0.5) inside the repair mask; recallVisible: the same over the
 *    damage pixels that differ visibly from the clean photo (luma changed by >= VISIBLE levels: a
 *    white scratch over white paper is not damage anyone sees);
 *  - precision: mask pixels within TOLERANCE px of a changed pixel (alpha > 0), i.e. the mask may be
 *    a little wider than the stroke (inpainting needs the antialiased rim); precisionStrict: mask
 *    pixels that were themselves changed;
 *  - PSNR over the changed pixels (RGB, against the clean photo), damaged and repaired, and the gain;
 *  - unchangedAway: pixels farther than AWAY px from any change that the repair left bit-identical;
 *  - flagged: fraction of all pixels in the mask.
 */
import type { Raster } from '../../src-main/worker/pipeline/raster.ts';

export const TOLERANCE = 2;
export const AWAY = 4;
export const VISIBLE = 16;

export interface RepairMetrics {
  recall: number;
  recallVisible: number;
  precision: number;
  precisionStrict: number;
  psnrDamaged: number;
  psnrRepaired: number;
  psnrGain: number;
  unchangedAway: number;
  flagged: number;
}

/** Square (Chebyshev) dilation of a 0/1 mask by `k` px. */
export function dilateMask(mask: Uint8Array, width: number, height: number, k: number): Uint8Array {
  if (k <= 0) return mask.slice();
  const tmp = new Uint8Array(mask.length);
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let dx = -k; dx <= k && !v; dx++) {
        const xx = x + dx;
        if (xx >= 0 && xx < width && mask[y * width + xx]) v = 1;
      }
      tmp[y * width + x] = v;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let dy = -k; dy <= k && !v; dy++) {
        const yy = y + dy;
        if (yy >= 0 && yy < height && tmp[yy * width + x]) v = 1;
      }
      out[y * width + x] = v;
    }
  }
  return out;
}

function psnr(sq: number, n: number): number {
  if (n === 0) return Infinity;
  const mse = sq / (3 * n);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** `mask`: nonzero = repaired. All rasters 8-bit, same size. */
export function repairMetrics(clean: Raster, damaged: Raster, repaired: Raster, alpha: Float32Array, mask: Uint8Array): RepairMetrics {
  const { width, height } = clean;
  const n = width * height;
  const changed = new Uint8Array(n);
  for (let i = 0; i < n; i++) changed[i] = alpha[i] > 0 ? 1 : 0;
  const near = dilateMask(changed, width, height, TOLERANCE);
  const away = dilateMask(changed, width, height, AWAY);
  let dmg = 0, hit = 0, vis = 0, visHit = 0, flagged = 0, flaggedNear = 0, flaggedChanged = 0, awayN = 0, awaySame = 0;
  let nChanged = 0, sqD = 0, sqR = 0;
  for (let i = 0; i < n; i++) {
    const m = mask[i] !== 0;
    if (alpha[i] >= 0.5) {
      dmg++;
      if (m) hit++;
      const k = 3 * i;
      const dy = 0.299 * (damaged.data[k] - clean.data[k]) + 0.587 * (damaged.data[k + 1] - clean.data[k + 1]) + 0.114 * (damaged.data[k + 2] - clean.data[k + 2]);
      if (Math.abs(dy) >= VISIBLE) {
        vis++;
        if (m) visHit++;
      }
    }
    if (m) {
      flagged++;
      if (near[i]) flaggedNear++;
      if (changed[i]) flaggedChanged++;
    }
    if (changed[i]) {
      nChanged++;
      for (let c = 0; c < 3; c++) {
        const k = 3 * i + c;
        sqD += (damaged.data[k] - clean.data[k]) ** 2;
        sqR += (repaired.data[k] - clean.data[k]) ** 2;
      }
    }
    if (!away[i]) {
      awayN++;
      const k = 3 * i;
      if (repaired.data[k] === damaged.data[k] && repaired.data[k + 1] === damaged.data[k + 1] && repaired.data[k + 2] === damaged.data[k + 2]) awaySame++;
    }
  }
  const psnrDamaged = psnr(sqD, nChanged);
  const psnrRepaired = psnr(sqR, nChanged);
  return {
    recall: dmg === 0 ? 1 : hit / dmg,
    recallVisible: vis === 0 ? 1 : visHit / vis,
    precision: flagged === 0 ? 1 : flaggedNear / flagged,
    precisionStrict: flagged === 0 ? 1 : flaggedChanged / flagged,
    psnrDamaged,
    psnrRepaired,
    psnrGain: psnrRepaired - psnrDamaged,
    unchangedAway: awayN === 0 ? 1 : awaySame / awayN,
    flagged: flagged / n,
  };
}
