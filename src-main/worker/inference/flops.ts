/**
 * Analytic FLOP counts of one pass of each PMRF network for one face (1 multiply-add = 2 FLOPs),
 * from the architecture config: matmuls, convolutions and attention products. Element-wise work
 * (norms, softmax, activations) is left out; it is a few percent. Used to relate measured times
 * to a device's peak (benchmarks, time estimates).
 */
import type { HditConfig, SwinirConfig } from './arch.ts';

export interface FlopCount {
  /** Linear layers (projections, feed-forwards, merges, patching) and convolutions. */
  dense: number;
  /** q k^T and a v products of the attention layers, as the architecture defines them. */
  attention: number;
  total: number;
}

function count(dense: number, attention: number): FlopCount {
  return { dense, attention, total: dense + attention };
}

/**
 * HDiT at an image side. Neighborhood attention counts the k*k keys of each query; the engine's
 * tiled kernel multiplies more (see `hditExecutedAttentionFlops`).
 */
export function hditFlops(cfg: HditConfig, imageSize: number): FlopCount {
  let dense = 0;
  let attention = 0;
  const pp = 3 * cfg.patch_size * cfg.patch_size;
  const mw = cfg.mapping_width;
  const tokens = (level: number) => (imageSize / (cfg.patch_size * 2 ** level)) ** 2;
  dense += 2 * 2 * tokens(0) * pp * cfg.widths[0]; // patch_in + patch_out
  dense += 2 * (2 * mw * mw + cfg.mapping_depth * 3 * mw * mw * cfg.d_ff_mult); // mapping (per face)
  cfg.widths.forEach((C, level) => {
    const L = tokens(level);
    const layers = level === cfg.widths.length - 1 ? cfg.depths[level] : 2 * cfg.depths[level];
    const dff = C * cfg.d_ff_mult;
    // qkv 3C^2 + out C^2 + GEGLU up 2*dff*C + down dff*C, per token; two AdaRMSNorm projections per face
    dense += layers * 2 * (L * (4 * C * C + 3 * dff * C) + 2 * mw * C);
    const keys = cfg.attn[level] === 'global' ? L : cfg.kernel_size ** 2;
    attention += layers * 2 * 2 * L * keys * C;
    if (level < cfg.widths.length - 1) {
      const next = cfg.widths[level + 1];
      dense += 2 * 2 * tokens(level + 1) * 4 * C * next; // merge + split
    }
  });
  return count(dense, attention);
}

/** Attention FLOPs the engine's tiled neighborhood kernel executes (8x8 query tiles see 14x14 keys). */
export function hditExecutedAttentionFlops(cfg: HditConfig, imageSize: number, tile = 8): number {
  let flops = 0;
  cfg.widths.forEach((C, level) => {
    const side = imageSize / (cfg.patch_size * 2 ** level);
    const L = side * side;
    const layers = level === cfg.widths.length - 1 ? cfg.depths[level] : 2 * cfg.depths[level];
    const keys = cfg.attn[level] === 'global' ? L : Math.min(tile + cfg.kernel_size - 1, side) ** 2;
    flops += layers * 2 * 2 * L * keys * C;
  });
  return flops;
}

/** SwinIR (pixel-unshuffle variant with the nearest+conv upsampler) at an image side. */
export function swinirFlops(cfg: SwinirConfig, imageSize: number): FlopCount {
  const C = cfg.embed_dim;
  const r = cfg.unshuffle_scale;
  const L = (imageSize / r) ** 2;
  const conv = (pixels: number, cin: number, cout: number) => 2 * pixels * 9 * cin * cout;
  const hidden = Math.round(C * cfg.mlp_ratio);
  const blocks = cfg.depths.reduce((a, b) => a + b, 0);
  let dense = conv(L, 3 * r * r, C); // conv_first
  dense += blocks * 2 * L * (4 * C * C + 2 * C * hidden); // qkv, proj, fc1, fc2
  dense += cfg.depths.length * conv(L, C, C) + conv(L, C, C); // RSTB convs + conv_after_body
  const up = 64;
  dense += conv(L, C, up); // conv_before_upsample
  let side = imageSize / r;
  for (let s = r; s > 1; s /= 2) {
    side *= 2;
    dense += conv(side * side, up, up); // conv_up after each nearest x2
  }
  dense += conv(imageSize * imageSize, up, up) + conv(imageSize * imageSize, up, 3); // conv_hr, conv_last
  const attention = blocks * 2 * 2 * L * cfg.window_size ** 2 * C;
  return count(dense, attention);
}
