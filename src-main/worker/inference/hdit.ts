/**
 * HDiT vector field of PMRF (shared/pmrf/SPEC.md, "HDiT"; k-diffusion image_transformer_v2),
 * built as an ONNX graph from checkpoint tensors `model.*`.
 *
 * Layout: tokens [N, L, C] flattened row-major over the grid (the channels-last image). The
 * mapping network and every AdaRMSNorm scale are computed in float32 (they are [N, C] vectors);
 * the token path runs in the builder's float type. Linear layers that are followed by a split
 * (GEGLU halves, q/k/v) are built as separate MatMuls so no large activation is sliced.
 */
import type { HditConfig } from './arch.ts';
import {
  cosineSimRope,
  globalAttention,
  neighborhoodAttention,
  neighborhoodConsts,
  neighborhoodPlan,
  ropeTables,
  type Grid,
  type NeighborhoodConsts,
  type RopeConsts,
} from './hdit-attention.ts';
import type { GraphBuilder, Value } from './onnx/graph.ts';
import { gelu, reshape, rmsNorm, toF32, toNetFloat, transpose } from './onnx/ops.ts';
import type { CheckpointWeights, TensorSpec } from './weights.ts';
import { UserError } from '../../util/errors.ts';

const P = 'model.';
const NORM_EPS = 1e-6;
/** Inputs of the augmentation embedding (always zero in PMRF). */
const AUG_FEATURES = 9;

function levelPrefixes(cfg: HditConfig): { prefix: string; level: number }[][] {
  const n = cfg.widths.length;
  const layers = (base: string, level: number) => Array.from({ length: cfg.depths[level] }, (_, j) => ({ prefix: `${base}.${j}`, level }));
  const out: { prefix: string; level: number }[][] = [];
  for (let i = 0; i < n - 1; i++) out.push(layers(`down_levels.${i}`, i));
  out.push(layers('mid_level', n - 1));
  for (let i = 0; i < n - 1; i++) out.push(layers(`up_levels.${i}`, i));
  return out;
}

/** Every checkpoint tensor the HDiT build reads, with its expected shape. */
export function hditTensors(cfg: HditConfig): TensorSpec[] {
  const specs: TensorSpec[] = [];
  const fl = (name: string, shape: number[]) => specs.push({ name: P + name, shape, dtype: 'float' });
  const mw = cfg.mapping_width;
  const mff = mw * cfg.d_ff_mult;
  const pp = 3 * cfg.patch_size * cfg.patch_size;
  fl('patch_in.proj.weight', [cfg.widths[0], pp]);
  fl('time_emb.weight', [mw / 2, 1]);
  fl('time_in_proj.weight', [mw, mw]);
  fl('aug_emb.weight', [mw / 2, AUG_FEATURES]);
  fl('aug_in_proj.weight', [mw, mw]);
  fl('mapping.in_norm.scale', [mw]);
  for (let i = 0; i < cfg.mapping_depth; i++) {
    fl(`mapping.blocks.${i}.norm.scale`, [mw]);
    fl(`mapping.blocks.${i}.up_proj.weight`, [2 * mff, mw]);
    fl(`mapping.blocks.${i}.down_proj.weight`, [mw, mff]);
  }
  fl('mapping.out_norm.scale', [mw]);
  for (const level of levelPrefixes(cfg)) {
    for (const { prefix, level: li } of level) {
      const C = cfg.widths[li];
      const heads = C / cfg.d_head;
      fl(`${prefix}.self_attn.scale`, [heads]);
      fl(`${prefix}.self_attn.norm.linear.weight`, [C, mw]);
      fl(`${prefix}.self_attn.qkv_proj.weight`, [3 * C, C]);
      fl(`${prefix}.self_attn.pos_emb.freqs`, [heads, cfg.d_head / 8]);
      fl(`${prefix}.self_attn.out_proj.weight`, [C, C]);
      fl(`${prefix}.ff.norm.linear.weight`, [C, mw]);
      fl(`${prefix}.ff.up_proj.weight`, [2 * C * cfg.d_ff_mult, C]);
      fl(`${prefix}.ff.down_proj.weight`, [C, C * cfg.d_ff_mult]);
    }
  }
  for (let i = 0; i < cfg.widths.length - 1; i++) {
    fl(`merges.${i}.proj.weight`, [cfg.widths[i + 1], 4 * cfg.widths[i]]);
    fl(`splits.${i}.proj.weight`, [4 * cfg.widths[i], cfg.widths[i + 1]]);
    fl(`splits.${i}.fac`, [1]);
  }
  fl('out_norm.scale', [cfg.widths[0]]);
  fl('patch_out.proj.weight', [pp, cfg.widths[0]]);
  return specs;
}

/** Image sides must be multiples of this (patching and the 2x2 merges). */
export function hditSizeMultiple(cfg: HditConfig): number {
  return cfg.patch_size * 2 ** (cfg.widths.length - 1);
}

/** The token grid of each level at an image side. */
export function hditGrids(cfg: HditConfig, imageSize: number): Grid[] {
  return cfg.widths.map((_, i) => {
    const side = imageSize / (cfg.patch_size * 2 ** i);
    return { h: side, w: side };
  });
}

/** PyTorch weight [out, in] -> [in, out] so MatMul needs no Transpose at run time. */
function transposed(weight: Float32Array, out: number, inp: number, rowStart = 0): Float32Array {
  const t = new Float32Array(out * inp);
  for (let o = 0; o < out; o++) {
    const src = (rowStart + o) * inp;
    for (let i = 0; i < inp; i++) t[i * out + o] = weight[src + i];
  }
  return t;
}

/** Builds the network's layers from checkpoint tensors; one instance per build. */
class HditBuilder {
  private readonly ropeCache = new Map<string, RopeConsts>();
  private readonly naCache = new Map<number, NeighborhoodConsts>();
  private swap: Value | undefined;
  private readonly ones = new Map<number, Value>();
  private readonly weights = new Map<string, Value>();

  constructor(
    private readonly g: GraphBuilder,
    private readonly w: CheckpointWeights,
    private readonly cfg: HditConfig,
    private readonly grids: Grid[],
  ) {}

  /** x @ W^T for rows [rowStart, rowStart + out) of a PyTorch weight [*, inp], in the net float type. */
  private async matmul(x: Value, name: string, out: number, inp: number, rowStart = 0): Promise<Value> {
    return this.g.op('MatMul', [x, await this.weightT(name, out, inp, rowStart)]);
  }

  /** The transposed weight block as a graph initializer, created once per build. */
  private async weightT(name: string, out: number, inp: number, rowStart = 0): Promise<Value> {
    const key = `${name}:${rowStart}`;
    const hit = this.weights.get(key);
    if (hit) return hit;
    const wt = transposed(await this.w.float(P + name), out, inp, rowStart);
    const v = this.g.weight(`${name}${rowStart > 0 ? '.b' : ''}`, wt, [inp, out]);
    this.weights.set(key, v);
    return v;
  }

  /** Same, float32 whatever the build type (mapping network, conditioning projections). */
  private async matmulF32(x: Value, name: string, out: number, inp: number, rowStart = 0): Promise<Value> {
    const weight = await this.w.float(P + name);
    return this.g.op('MatMul', [x, this.g.weightF32(`${name}${rowStart > 0 ? '.b' : ''}`, transposed(weight, out, inp, rowStart), [inp, out])]);
  }

  private async geglu(x: Value, name: string, dff: number, d: number, f32: boolean): Promise<Value> {
    const mm = f32 ? this.matmulF32.bind(this) : this.matmul.bind(this);
    const a = await mm(x, name, dff, d, 0);
    const gate = await mm(x, name, dff, d, dff);
    return this.g.op('Mul', [a, gelu(this.g, gate)]);
  }

  /** cond [N, mapping_width] float32 from t [N] float32. */
  async conditioning(t: Value): Promise<Value> {
    const g = this.g;
    const mw = this.cfg.mapping_width;
    const half = mw / 2;
    // time: f = (2 pi t) @ time_emb.weight^T; e_t = time_in_proj([cos f, sin f])
    const timeW = await this.w.float(`${P}time_emb.weight`);
    const tf = g.op('Mul', [reshape(g, t, [-1, 1]), g.scalar(2 * Math.PI, 'float32')]);
    const f = g.op('MatMul', [tf, g.weightF32('time_emb.weight', timeW, [1, half])]);
    const fourier = g.op('Concat', [g.op('Cos', [f]), g.op('Sin', [f])], { axis: -1 });
    const et = await this.matmulF32(fourier, 'time_in_proj.weight', mw, mw);
    // aug: zero input -> [cos 0, sin 0] = [1]*half ++ [0]*half, a build-time constant
    const augW = await this.w.float(`${P}aug_in_proj.weight`);
    const augIn = new Float32Array(mw).fill(1, 0, half);
    const eAug = new Float32Array(mw);
    for (let o = 0; o < mw; o++) {
      let acc = 0;
      for (let i = 0; i < mw; i++) acc += augW[o * mw + i] * augIn[i];
      eAug[o] = acc;
    }
    let h = g.op('Add', [et, g.weightF32('aug_embedding', eAug, [mw])]);
    h = rmsNorm(g, h, await this.scaleF32('mapping.in_norm.scale', mw), NORM_EPS, true);
    const mff = mw * this.cfg.d_ff_mult;
    for (let i = 0; i < this.cfg.mapping_depth; i++) {
      const b = `mapping.blocks.${i}`;
      const n = rmsNorm(g, h, await this.scaleF32(`${b}.norm.scale`, mw), NORM_EPS, true);
      const u = await this.geglu(n, `${b}.up_proj.weight`, mff, mw, true);
      h = g.op('Add', [h, await this.matmulF32(u, `${b}.down_proj.weight`, mw, mff)]);
    }
    return rmsNorm(g, h, await this.scaleF32('mapping.out_norm.scale', mw), NORM_EPS, true);
  }

  private async scaleF32(name: string, n: number): Promise<Value> {
    return this.g.weightF32(name, await this.w.float(P + name), [n]);
  }

  /** AdaRMSNorm's per-face scale 1 + linear(cond), [N, 1, C] in the net float type. */
  private async adaScale(cond: Value, name: string, C: number): Promise<Value> {
    const g = this.g;
    const s = g.op('Add', [await this.matmulF32(cond, name, C, this.cfg.mapping_width), g.scalar(1, 'float32')]);
    return toNetFloat(g, reshape(g, s, [-1, 1, C]));
  }

  /**
   * AdaRMSNorm: RMSNorm(x; scale) with the scale from `adaScale`. Normalised with a stored ones
   * vector (fused by onnxruntime), then multiplied by the per-face scale.
   */
  private adaNorm(x: Value, scale: Value, C: number): Value {
    const g = this.g;
    let ones = this.ones.get(C);
    if (!ones) {
      ones = g.weightF32('ones', new Float32Array(C).fill(1), [C]);
      this.ones.set(C, ones);
    }
    return g.op('Mul', [rmsNorm(g, x, ones, NORM_EPS), scale]);
  }

  private async rope(prefix: string, level: number, heads: number): Promise<RopeConsts> {
    const freqs = await this.w.float(`${P}${prefix}.self_attn.pos_emb.freqs`);
    const key = `${level}:${Array.from(freqs).join(',')}`;
    const hit = this.ropeCache.get(key);
    if (hit) return hit;
    const g = this.g;
    const dHead = this.cfg.d_head;
    const grid = this.grids[level];
    const { cos, sin } = ropeTables(freqs, heads, dHead, grid);
    const dims = [heads, grid.h * grid.w, 4, dHead / 4];
    this.swap ??= g.ints([1, 0, 2, 3]);
    const consts = { cos: g.weight('rope_cos', cos, dims), sin: g.weight('rope_sin', sin, dims), swap: this.swap };
    this.ropeCache.set(key, consts);
    return consts;
  }

  private neighborhood(level: number): NeighborhoodConsts {
    let c = this.naCache.get(level);
    if (!c) {
      c = neighborhoodConsts(this.g, neighborhoodPlan(this.grids[level], this.cfg.kernel_size));
      this.naCache.set(level, c);
    }
    return c;
  }

  /** One transformer layer (attention block, then feed-forward block). x: [N, L, C]. */
  async layer(x: Value, cond: Value, prefix: string, level: number): Promise<Value> {
    const g = this.g;
    const C = this.cfg.widths[level];
    const dHead = this.cfg.d_head;
    const heads = C / dHead;
    const grid = this.grids[level];
    const L = grid.h * grid.w;
    const a = `${prefix}.self_attn`;
    const h = this.adaNorm(x, await this.adaScale(cond, `${a}.norm.linear.weight`, C), C);
    const scale = await this.w.float(`${P}${a}.scale`);
    const sqrtScale = g.weightF32(`${a}.sqrt_scale`, Float32Array.from(scale, (s) => Math.sqrt(s)), [heads, 1, 1]);
    const rope = await this.rope(prefix, level, heads);
    // [N, L, C] -> [N, heads, L, e]
    const proj = async (part: number) =>
      transpose(g, reshape(g, await this.matmul(h, `${a}.qkv_proj.weight`, C, C, part * C), [0, L, heads, dHead]), [0, 2, 1, 3]);
    const q = cosineSimRope(g, await proj(0), sqrtScale, rope, heads, L, dHead);
    const k = cosineSimRope(g, await proj(1), sqrtScale, rope, heads, L, dHead);
    const v = await proj(2);
    const attended =
      this.cfg.attn[level] === 'global'
        ? globalAttention(g, q, k, v, L, heads, dHead)
        : neighborhoodAttention(g, q, k, v, this.neighborhood(level), heads, dHead);
    x = g.op('Add', [x, await this.matmul(attended, `${a}.out_proj.weight`, C, C)]);
    return this.feedForward(x, await this.adaScale(cond, `${prefix}.ff.norm.linear.weight`, C), prefix, C);
  }

  /** x + down_proj(GEGLU(up_proj(AdaRMSNorm(x)))). */
  private async feedForward(x: Value, scale: Value, prefix: string, C: number): Promise<Value> {
    const ffPrefix = `${prefix}.ff`;
    const dff = C * this.cfg.d_ff_mult;
    const n = this.adaNorm(x, scale, C);
    const u = await this.geglu(n, `${ffPrefix}.up_proj.weight`, dff, C, false);
    return this.g.op('Add', [x, await this.matmul(u, `${ffPrefix}.down_proj.weight`, C, dff)]);
  }

  /** 2x2 token merge (rows, cols, channels order) then Linear 4*C_in -> C_out. */
  async merge(x: Value, i: number): Promise<Value> {
    const g = this.g;
    const { h, w } = this.grids[i];
    const C = this.cfg.widths[i];
    const grouped = transpose(g, reshape(g, x, [0, h / 2, 2, w / 2, 2, C]), [0, 1, 3, 2, 4, 5]);
    return this.matmul(reshape(g, grouped, [0, (h / 2) * (w / 2), 4 * C]), `merges.${i}.proj.weight`, this.cfg.widths[i + 1], 4 * C);
  }

  /** Linear C_in -> 4*C_out, un-group 2x2, then lerp(skip, x, fac). */
  async split(x: Value, skip: Value, i: number): Promise<Value> {
    const g = this.g;
    const { h, w } = this.grids[i];
    const C = this.cfg.widths[i];
    const y = await this.matmul(x, `splits.${i}.proj.weight`, 4 * C, this.cfg.widths[i + 1]);
    const ungrouped = reshape(g, transpose(g, reshape(g, y, [0, h / 2, w / 2, 2, 2, C]), [0, 1, 3, 2, 4, 5]), [0, h * w, C]);
    const fac = g.weight(`splits.${i}.fac`, await this.w.float(`${P}splits.${i}.fac`), [1]);
    return g.op('Add', [skip, g.op('Mul', [g.op('Sub', [ungrouped, skip]), fac])]);
  }

  /** NCHW image -> tokens: 4x4 blocks flattened (row-in-patch, col-in-patch, channel) -> Linear. */
  async patchIn(image: Value, imageSize: number): Promise<Value> {
    const g = this.g;
    const p = this.cfg.patch_size;
    const s = imageSize / p;
    const blocks = transpose(g, reshape(g, image, [0, 3, s, p, s, p]), [0, 2, 4, 3, 5, 1]);
    return this.matmul(reshape(g, blocks, [0, s * s, 3 * p * p]), 'patch_in.proj.weight', this.cfg.widths[0], 3 * p * p);
  }

  /** out_norm, Linear C -> 48, tokens -> NCHW image (inverse of patchIn's grouping). */
  async patchOut(x: Value, imageSize: number): Promise<Value> {
    const g = this.g;
    const p = this.cfg.patch_size;
    const s = imageSize / p;
    const C = this.cfg.widths[0];
    const n = rmsNorm(g, x, await this.scaleF32('out_norm.scale', C), NORM_EPS);
    const y = await this.matmul(n, 'patch_out.proj.weight', 3 * p * p, C);
    const image = transpose(g, reshape(g, y, [0, s, s, p, p, 3]), [0, 5, 1, 3, 2, 4]);
    return reshape(g, image, [0, 3, imageSize, imageSize]);
  }
}

/**
 * Builds HDiT: inputs `x` float32 [N,3,S,S] and `t` float32 [N], output `v` float32 [N,3,S,S]
 * (S = imageSize). The token path runs in `g.floatType`.
 */
export async function buildHdit(g: GraphBuilder, w: CheckpointWeights, cfg: HditConfig, imageSize: number): Promise<void> {
  const multiple = hditSizeMultiple(cfg);
  if (!Number.isInteger(imageSize) || imageSize <= 0 || imageSize % multiple !== 0) {
    throw new UserError(`HDiT image size must be a positive multiple of ${multiple}, got ${imageSize}`);
  }
  const grids = hditGrids(cfg, imageSize);
  grids.forEach((grid, i) => {
    if (cfg.attn[i] === 'neighborhood' && grid.h < cfg.kernel_size) {
      throw new UserError(`HDiT level ${i} grid ${grid.h}x${grid.w} is smaller than the neighborhood kernel ${cfg.kernel_size}; use a larger image size`);
    }
  });
  const b = new HditBuilder(g, w, cfg, grids);
  const xIn = g.input('x', 'float32', ['N', 3, imageSize, imageSize]);
  const tIn = g.input('t', 'float32', ['N']);
  const cond = await b.conditioning(tIn);
  let x = await b.patchIn(toNetFloat(g, xIn), imageSize);
  const levels = levelPrefixes(cfg);
  const nLevels = cfg.widths.length;
  const skips: Value[] = [];
  for (let i = 0; i < nLevels - 1; i++) {
    for (const { prefix } of levels[i]) x = await b.layer(x, cond, prefix, i);
    skips.push(x);
    x = await b.merge(x, i);
  }
  for (const { prefix } of levels[nLevels - 1]) x = await b.layer(x, cond, prefix, nLevels - 1);
  for (let i = nLevels - 2; i >= 0; i--) {
    x = await b.split(x, skips[i], i);
    for (const { prefix } of levels[nLevels + i]) x = await b.layer(x, cond, prefix, i);
  }
  const v = await b.patchOut(x, imageSize);
  g.output(toF32(g, v), 'v', 'float32', ['N', 3, imageSize, imageSize]);
}
