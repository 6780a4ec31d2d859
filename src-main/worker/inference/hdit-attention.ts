/**
 * HDiT attention pieces: token positions, axial RoPE tables, cosine-similarity scaling, and the
 * two attention kinds (neighborhood with inward-shifted windows, and global).
 *
 * Everything that depends only on the token grid (positions, RoPE cos/sin, the neighborhood
 * gather indices and masks) is computed here at build time and stored as constants.
 */
import type { GraphBuilder, Value } from './onnx/graph.ts';
import { reshape, toF32, toNetFloat, transpose } from './onnx/ops.ts';


/** A token grid (rows x cols), tokens flattened row-major. */
export interface Grid {
  h: number;
  w: number;
}

/** Logit added where a key is outside a query's window: exp() underflows to exactly 0, and
 * it stays representable in float16. Cosine-sim logits are bounded by the head scale. */
export const MASKED_LOGIT = -30000;

/** Cell centres of [-1, 1] split into n cells: c[i] = -1 + (2i + 1) / n. */
export function cellCentres(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => -1 + (2 * i + 1) / n);
}

/**
 * RoPE tables for one grid and one layer's `pos_emb.freqs` [heads, dHead/8], laid out
 * [heads, L, 4, dHead/4] so they broadcast against q/k viewed as [N, heads, L, 4, dHead/4]:
 * `rope(x) = x * cos + x[swap] * sin`, where `swap` exchanges the channel blocks [0,d) and
 * [d,2d) (d = dHead/4, blocks 0 and 1 of the view) and keeps blocks 2 and 3; cos is 1 and sin 0
 * on the unrotated channels, and the sin of block 0 carries the minus sign of `x1 cos - x2 sin`.
 */
export function ropeTables(freqs: Float32Array, heads: number, dHead: number, grid: Grid): { cos: Float32Array; sin: Float32Array } {
  const nf = dHead / 8;
  const d = dHead / 4;
  if (freqs.length !== heads * nf) throw new Error(`pos_emb.freqs has ${freqs.length} values, expected ${heads}x${nf}`);
  const ch = cellCentres(grid.h);
  const cw = cellCentres(grid.w);
  const L = grid.h * grid.w;
  const cos = new Float32Array(heads * L * dHead);
  const sin = new Float32Array(heads * L * dHead);
  for (let hd = 0; hd < heads; hd++) {
    for (let i = 0; i < grid.h; i++) {
      for (let j = 0; j < grid.w; j++) {
        const base = (hd * L + i * grid.w + j) * dHead;
        for (let c = 0; c < d; c++) {
          // theta = [ph * freqs, pw * freqs] (h part first)
          const theta = c < nf ? ch[i] * freqs[hd * nf + c] : cw[j] * freqs[hd * nf + c - nf];
          cos[base + c] = Math.cos(theta);
          cos[base + d + c] = Math.cos(theta);
          sin[base + c] = -Math.sin(theta);
          sin[base + d + c] = Math.sin(theta);
        }
        for (let c = 2 * d; c < dHead; c++) cos[base + c] = 1;
      }
    }
  }
  return { cos, sin };
}

/** Constant RoPE inputs of one layer, in the graph. */
export interface RopeConsts {
  /** [heads, L, 4, dHead/4] */
  cos: Value;
  sin: Value;
  /** int64 [4]: block order of `x[swap]` */
  swap: Value;
}

/**
 * Cosine-similarity scaling then axial RoPE, on q or k laid out [N, heads, L, dHead]:
 * `x * sqrt(scale_h) / sqrt(sum(x^2) + 1e-6)` (the norm in float32), then rotated. The per-head
 * factor is applied after the rotation, which preserves the norm, so the order does not matter.
 * The block swap is a Gather of 4 contiguous blocks per token (an element-wise Gather is slow).
 */
export function cosineSimRope(g: GraphBuilder, x: Value, sqrtScale: Value, rope: RopeConsts, heads: number, L: number, dHead: number): Value {
  const sumSq = g.op('ReduceSumSquare', [toF32(g, x), g.ints([-1])], { keepdims: 1 });
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [sumSq, g.scalar(1e-6, 'float32')])])]);
  const factor = toNetFloat(g, g.op('Mul', [inv, sqrtScale]));
  const blocks = reshape(g, x, [0, heads, L, 4, dHead / 4]);
  const swapped = g.op('Gather', [blocks, rope.swap], { axis: 3 });
  const rotated = g.op('Add', [g.op('Mul', [blocks, rope.cos]), g.op('Mul', [swapped, rope.sin])]);
  return g.op('Mul', [reshape(g, rotated, [0, heads, L, dHead]), factor]);
}

/** Softmax over the last axis, in float32 for float16 builds. */
function softmaxLast(g: GraphBuilder, x: Value): Value {
  return toNetFloat(g, g.op('Softmax', [toF32(g, x)], { axis: -1 }));
}

/**
 * Every token attends to every token. q, k, v: [N, heads, L, e] -> [N, L, heads*e]. The
 * Transpose of k's last two axes is folded into the MatMul by onnxruntime (FusedMatMul).
 */
export function globalAttention(g: GraphBuilder, q: Value, k: Value, v: Value, L: number, heads: number, dHead: number): Value {
  const a = softmaxLast(g, g.op('MatMul', [q, transpose(g, k, [0, 1, 3, 2])]));
  const o = g.op('MatMul', [a, v]); // [N, heads, L, e]
  return reshape(g, transpose(g, o, [0, 2, 1, 3]), [0, L, heads * dHead]);
}

/** First row (or column) of the k-wide window of token i on a side of n tokens. */
export function windowStart(i: number, n: number, k: number): number {
  return Math.min(Math.max(i - (k - 1) / 2, 0), n - k);
}

/**
 * How neighborhood attention is computed on one grid: queries in tiles of th x tw tokens; each
 * tile sees the keys of a region of rh x rw tokens (the union of its queries' windows, shifted
 * inward at the borders like the windows). `gather` lists the region tokens of every tile
 * (flattened grid indices, tile-major), `mask` [tiles, th*tw, rh*rw] is 0 where the key is in
 * the query's exact k x k window and MASKED_LOGIT elsewhere.
 */
export interface NeighborhoodPlan {
  grid: Grid;
  kernel: number;
  th: number;
  tw: number;
  tilesH: number;
  tilesW: number;
  rh: number;
  rw: number;
  gather: number[];
  mask: Float32Array;
}

/** Largest divisor of n that is at most `max` (the tile side). */
function tileSide(n: number, max: number): number {
  for (let t = Math.min(max, n); t > 1; t--) if (n % t === 0) return t;
  return 1;
}

export function neighborhoodPlan(grid: Grid, kernel: number, maxTile = 8): NeighborhoodPlan {
  const { h, w } = grid;
  if (kernel % 2 !== 1) throw new Error(`neighborhood kernel ${kernel} must be odd`);
  if (h < kernel || w < kernel) throw new Error(`neighborhood attention needs a grid of at least ${kernel}x${kernel}, got ${h}x${w}`);
  const half = (kernel - 1) / 2;
  const th = tileSide(h, maxTile);
  const tw = tileSide(w, maxTile);
  const rh = Math.min(th + kernel - 1, h);
  const rw = Math.min(tw + kernel - 1, w);
  const tilesH = h / th;
  const tilesW = w / tw;
  const regionStart = (tile: number, t: number, r: number, n: number) => Math.min(Math.max(tile * t - half, 0), n - r);
  const gather: number[] = [];
  const mask = new Float32Array(tilesH * tilesW * th * tw * rh * rw).fill(MASKED_LOGIT);
  for (let ti = 0; ti < tilesH; ti++) {
    const r0 = regionStart(ti, th, rh, h);
    for (let tj = 0; tj < tilesW; tj++) {
      const c0 = regionStart(tj, tw, rw, w);
      const tile = ti * tilesW + tj;
      for (let r = 0; r < rh; r++) for (let c = 0; c < rw; c++) gather.push((r0 + r) * w + c0 + c);
      for (let a = 0; a < th; a++) {
        const si = windowStart(ti * th + a, h, kernel) - r0;
        for (let b = 0; b < tw; b++) {
          const sj = windowStart(tj * tw + b, w, kernel) - c0;
          if (si < 0 || sj < 0 || si + kernel > rh || sj + kernel > rw) throw new Error('internal: neighborhood window outside its tile region');
          const row = (tile * th * tw + a * tw + b) * rh * rw;
          for (let r = si; r < si + kernel; r++) mask.fill(0, row + r * rw + sj, row + r * rw + sj + kernel);
        }
      }
    }
  }
  return { grid, kernel, th, tw, tilesH, tilesW, rh, rw, gather, mask };
}

/** Graph constants of a plan (shared by every layer on that grid). */
export interface NeighborhoodConsts {
  plan: NeighborhoodPlan;
  gather: Value;
  mask: Value;
}

export function neighborhoodConsts(g: GraphBuilder, plan: NeighborhoodPlan): NeighborhoodConsts {
  const tiles = plan.tilesH * plan.tilesW;
  const gather = g.tensor('na_gather', 'int64', BigInt64Array.from(plan.gather, (x) => BigInt(x)), [plan.gather.length]);
  const mask = g.weight('na_mask', plan.mask, [tiles, plan.th * plan.tw, plan.rh * plan.rw]);
  return { plan, gather, mask };
}

/**
 * Neighborhood attention. q, k, v: [N, heads, L, e] on the plan's grid -> [N, L, heads*e].
 * Queries are regrouped into tiles by one Transpose; the keys and values of each tile's region
 * are gathered with one Gather each (contiguous rows of e values); dense masked attention per
 * tile is a batched MatMul over [N, heads, tiles].
 */
export function neighborhoodAttention(g: GraphBuilder, q: Value, k: Value, v: Value, c: NeighborhoodConsts, heads: number, dHead: number): Value {
  const { th, tw, tilesH, tilesW, rh, rw, grid } = c.plan;
  const tiles = tilesH * tilesW;
  // [N, heads, tilesH, th, tilesW, tw, e] -> [N, heads, tilesH, tilesW, th, tw, e]
  const q7 = reshape(g, q, [0, heads, tilesH, th, tilesW, tw, dHead]);
  const qt = reshape(g, transpose(g, q7, [0, 1, 2, 4, 3, 5, 6]), [0, heads, tiles, th * tw, dHead]);
  const region = (x: Value) => reshape(g, g.op('Gather', [x, c.gather], { axis: 2 }), [0, heads, tiles, rh * rw, dHead]);
  const kt = transpose(g, region(k), [0, 1, 2, 4, 3]); // [N, heads, tiles, e, R], fused into the MatMul
  const logits = g.op('Add', [g.op('MatMul', [qt, kt]), c.mask]); // [N, heads, tiles, T, R]
  const o = g.op('MatMul', [softmaxLast(g, logits), region(v)]); // [N, heads, tiles, T, e]
  const o7 = reshape(g, o, [0, heads, tilesH, tilesW, th, tw, dHead]);
  return reshape(g, transpose(g, o7, [0, 2, 4, 3, 5, 1, 6]), [0, grid.h * grid.w, heads * dHead]);
}
