/**
 * Synthetic print damage with an exact mask, drawn over a clean photo: scratches (long, nearly
 * straight), cracks (jagged random walks with branches), hairs (thin smooth curves) and specks (dust),
 * each bright or dark. Every stroke is rasterised with analytic antialiasing (coverage from the
 * distance to its centre line), so `alpha` says exactly how much each pixel was changed.
 * Deterministic for a seed.
 */
import type { Raster } from '../../src-main/worker/pipeline/raster.ts';

export type DamageKind = 'scratch' | 'crack' | 'hair' | 'speck';

export interface DamageOptions {
  seed: number;
  /** How many of each kind (specks count single dots). */
  scratches?: number;
  cracks?: number;
  hairs?: number;
  specks?: number;
}

export interface SyntheticDamage {
  damaged: Raster;
  /** Per pixel, how much of the damage colour was blended in (0 = untouched, 1 = fully covered). */
  alpha: Float32Array;
  /** Which kind drew the strongest alpha at each pixel (index into KINDS; 255 = none). */
  kind: Uint8Array;
}

export const KINDS: readonly DamageKind[] = ['scratch', 'crack', 'hair', 'speck'];

/** mulberry32: small, fast, good enough for test geometry. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Pt = [number, number];

interface Layer {
  alpha: Float32Array;
  /** Damage colour per pixel (0..255 gray) of the strongest stroke. */
  value: Float32Array;
  kind: Uint8Array;
  width: number;
  height: number;
}

/** Coverage of a round-capped stroke of the given width along segment a-b, max-combined. */
function strokeSegment(layer: Layer, a: Pt, b: Pt, width: number, value: number, opacity: number, kind: number): void {
  const half = width / 2;
  const pad = half + 1;
  const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0]) - pad));
  const x1 = Math.min(layer.width - 1, Math.ceil(Math.max(a[0], b[0]) + pad));
  const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1]) - pad));
  const y1 = Math.min(layer.height - 1, Math.ceil(Math.max(a[1], b[1]) + pad));
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy || 1e-9;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5 - a[0];
      const py = y + 0.5 - a[1];
      const t = Math.max(0, Math.min(1, (px * dx + py * dy) / len2));
      const d = Math.hypot(px - t * dx, py - t * dy);
      // Box-filtered coverage of a pixel by a band of half-width `half` (exact for width >= 1).
      const cover = Math.max(0, Math.min(1, half + 0.5 - d)) * (width < 1 ? width : 1);
      const a2 = cover * opacity;
      const i = y * layer.width + x;
      if (a2 > layer.alpha[i]) {
        layer.alpha[i] = a2;
        layer.value[i] = value;
        layer.kind[i] = kind;
      }
    }
  }
}

function polyline(layer: Layer, pts: Pt[], width: number, value: number, opacity: number, kind: number): void {
  for (let i = 0; i + 1 < pts.length; i++) strokeSegment(layer, pts[i], pts[i + 1], width, value, opacity, kind);
}

/** Damage colour: bright (paper showing through) or dark (dirt, hair), with some spread. */
function damageValue(r: () => number, bright: boolean): number {
  return bright ? 215 + 40 * r() : 10 + 45 * r();
}

export function drawDamage(clean: Raster, options: DamageOptions): SyntheticDamage {
  if (clean.depth !== 8) throw new Error('synthetic damage is drawn on 8-bit photos');
  const { width, height } = clean;
  const r = rng(options.seed);
  const layer: Layer = {
    alpha: new Float32Array(width * height),
    value: new Float32Array(width * height),
    kind: new Uint8Array(width * height).fill(255),
    width,
    height,
  };
  const side = Math.min(width, height);
  // Damage scales with the scan: a 256 px print gets 1-2 px lines, a 2000 px scan wider ones.
  const unit = Math.max(1, side / 600);
  const randPt = (): Pt => [r() * width, r() * height];

  for (let n = 0; n < (options.scratches ?? 3); n++) {
    const len = side * (0.2 + 0.6 * r());
    const ang = r() * Math.PI;
    const [cx, cy] = randPt();
    const bend = (r() - 0.5) * 0.15 * len;
    const pts: Pt[] = [];
    for (let k = 0; k <= 24; k++) {
      const t = k / 24 - 0.5;
      const off = bend * (1 - 4 * t * t);
      pts.push([cx + Math.cos(ang) * t * len - Math.sin(ang) * off, cy + Math.sin(ang) * t * len + Math.cos(ang) * off]);
    }
    polyline(layer, pts, unit * (1 + 2 * r()), damageValue(r, r() < 0.6), 0.75 + 0.25 * r(), 0);
  }
  for (let n = 0; n < (options.cracks ?? 2); n++) {
    const bright = r() < 0.7;
    const value = damageValue(r, bright);
    const w = unit * (1 + 1.5 * r());
    const walk = (start: Pt, dir: number, steps: number, depth: number): void => {
      const pts: Pt[] = [start];
      let [x, y] = start;
      for (let k = 0; k < steps; k++) {
        dir += (r() - 0.5) * 0.9;
        const step = unit * (3 + 4 * r());
        x += Math.cos(dir) * step;
        y += Math.sin(dir) * step;
        pts.push([x, y]);
        if (depth < 2 && r() < 0.04) walk([x, y], dir + (r() < 0.5 ? 1 : -1) * (0.5 + r()), Math.floor(steps / 3), depth + 1);
      }
      polyline(layer, pts, w * (depth === 0 ? 1 : 0.8), value, 0.8 + 0.2 * r(), 1);
    };
    walk(randPt(), r() * 2 * Math.PI, Math.floor((side * (0.15 + 0.35 * r())) / (5 * unit)), 0);
  }
  for (let n = 0; n < (options.hairs ?? 2); n++) {
    const [x0, y0] = randPt();
    const len = side * (0.08 + 0.2 * r());
    let dir = r() * 2 * Math.PI;
    const curl = (r() - 0.5) * 0.3;
    const pts: Pt[] = [[x0, y0]];
    let [x, y] = [x0, y0];
    const steps = Math.max(8, Math.floor(len / (2 * unit)));
    for (let k = 0; k < steps; k++) {
      dir += curl + (r() - 0.5) * 0.1;
      x += Math.cos(dir) * 2 * unit;
      y += Math.sin(dir) * 2 * unit;
      pts.push([x, y]);
    }
    polyline(layer, pts, unit * (0.9 + 0.6 * r()), damageValue(r, r() < 0.3), 0.8 + 0.2 * r(), 2);
  }
  for (let n = 0; n < (options.specks ?? 40); n++) {
    const p = randPt();
    const rad = unit * (0.8 + 2.2 * r() * r());
    strokeSegment(layer, p, [p[0] + 0.01, p[1]], 2 * rad, damageValue(r, r() < 0.6), 0.85 + 0.15 * r(), 3);
  }

  const damaged: Raster = { width, height, depth: 8, data: new Uint8Array(clean.data) };
  const d = damaged.data;
  for (let i = 0; i < width * height; i++) {
    const a = layer.alpha[i];
    if (a === 0) continue;
    for (let c = 0; c < 3; c++) d[3 * i + c] = Math.round((1 - a) * d[3 * i + c] + a * layer.value[i]);
  }
  return { damaged, alpha: layer.alpha, kind: layer.kind };
}
