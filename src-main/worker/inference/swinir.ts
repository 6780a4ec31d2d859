/**
 * SwinIR posterior-mean network of PMRF (shared/pmrf/SPEC.md, "SwinIR"), built as an ONNX graph
 * from checkpoint tensors `mmse_model.*`.
 *
 * Layout inside the transformer: channels-last images [N, H, W, C] (H, W = token grid), which is
 * the same memory order as SwinIR's row-major tokens [N, H*W, C]. Windows are kept as
 * [N, nW, ws*ws, C] so the shifted-window mask broadcasts over the batch without reshapes.
 */
import type { SwinirConfig } from './arch.ts';
import type { GraphBuilder, Value } from './onnx/graph.ts';
import { add, conv2d, gelu, layerNorm, leakyRelu, linear, mul, reshape, toF32, toNetFloat, transpose } from './onnx/ops.ts';
import type { CheckpointWeights, TensorSpec } from './weights.ts';
import { UserError } from '../../util/errors.ts';

const P = 'mmse_model.';
/** Per-channel mean subtracted before and added after the network (an architecture constant). */
export const SWINIR_MEAN = [0.4488, 0.4371, 0.404] as const;
const UPSAMPLE_FEATURES = 64;
const LN_EPS = 1e-5;
/** SwinIR's value for "different region" in the shifted-window attention mask. */
const MASK_OFF = -100;

function block(i: number, j: number): string {
  return `${P}layers.${i}.residual_group.blocks.${j}`;
}

/** Whether block j of a stage uses shifted windows (odd blocks, as in SwinIR). */
function shiftOf(cfg: SwinirConfig, j: number): number {
  return j % 2 === 1 ? cfg.window_size >> 1 : 0;
}

/** Every checkpoint tensor the SwinIR build reads, with its expected shape. */
export function swinirTensors(cfg: SwinirConfig): TensorSpec[] {
  const C = cfg.embed_dim;
  const ws = cfg.window_size;
  const hidden = Math.round(C * cfg.mlp_ratio);
  const r = cfg.unshuffle_scale;
  const specs: TensorSpec[] = [];
  const fl = (name: string, shape: number[]) => specs.push({ name: P + name, shape, dtype: 'float' });
  const conv = (name: string, out: number, inp: number) => {
    fl(`${name}.weight`, [out, inp, 3, 3]);
    fl(`${name}.bias`, [out]);
  };
  const ln = (name: string) => {
    fl(`${name}.weight`, [C]);
    fl(`${name}.bias`, [C]);
  };
  conv('conv_first.1', C, 3 * r * r);
  ln('patch_embed.norm');
  const gridWindows = (cfg.img_size_tokens / ws) ** 2;
  cfg.depths.forEach((depth, i) => {
    const heads = cfg.num_heads[i];
    for (let j = 0; j < depth; j++) {
      const b = `layers.${i}.residual_group.blocks.${j}`;
      if (shiftOf(cfg, j) > 0) {
        specs.push({ name: `${P}${b}.attn_mask`, shape: [gridWindows, ws * ws, ws * ws], dtype: 'float', optional: true });
      }
      ln(`${b}.norm1`);
      fl(`${b}.attn.relative_position_bias_table`, [(2 * ws - 1) ** 2, heads]);
      specs.push({ name: `${P}${b}.attn.relative_position_index`, shape: [ws * ws, ws * ws], dtype: 'I64' });
      fl(`${b}.attn.qkv.weight`, [3 * C, C]);
      fl(`${b}.attn.qkv.bias`, [3 * C]);
      fl(`${b}.attn.proj.weight`, [C, C]);
      fl(`${b}.attn.proj.bias`, [C]);
      ln(`${b}.norm2`);
      fl(`${b}.mlp.fc1.weight`, [hidden, C]);
      fl(`${b}.mlp.fc1.bias`, [hidden]);
      fl(`${b}.mlp.fc2.weight`, [C, hidden]);
      fl(`${b}.mlp.fc2.bias`, [C]);
    }
    conv(`layers.${i}.conv`, C, C);
  });
  ln('norm');
  conv('conv_after_body', C, C);
  conv('conv_before_upsample.0', UPSAMPLE_FEATURES, C);
  for (const name of upsampleConvNames(r)) conv(name, UPSAMPLE_FEATURES, UPSAMPLE_FEATURES);
  conv('conv_hr', UPSAMPLE_FEATURES, UPSAMPLE_FEATURES);
  conv('conv_last', 3, UPSAMPLE_FEATURES);
  return specs;
}

/** conv_up1..conv_upK for an upscale of 2^K (PMRF: unshuffle 8 -> three nearest x2 steps). */
function upsampleConvNames(scale: number): string[] {
  const steps = Math.log2(scale);
  if (!Number.isInteger(steps) || steps < 1) throw new UserError(`swinir unshuffle_scale ${scale} must be a power of two >= 2`);
  return Array.from({ length: steps }, (_, k) => `conv_up${k + 1}`);
}

/** The smallest image side a build accepts divides by unshuffle scale x window. */
export function swinirSizeMultiple(cfg: SwinirConfig): number {
  return cfg.unshuffle_scale * cfg.window_size;
}

/**
 * The shifted-window attention mask for a token grid H x W (SPEC.md): tokens are labelled by
 * region (rows [0,H-ws), [H-ws,H-shift), [H-shift,H) crossed with the same for columns), the
 * label map is split into windows (row-major), and tokens of one window attend to each other
 * only when they share a label. Returns [nW, ws*ws, ws*ws] with 0 / -100.
 */
export function shiftedWindowMask(H: number, W: number, ws: number, shift: number): Float32Array {
  const band = (i: number, n: number) => (i < n - ws ? 0 : i < n - shift ? 1 : 2);
  const label = (y: number, x: number) => band(y, H) * 3 + band(x, W);
  const nWh = H / ws;
  const nWw = W / ws;
  const T = ws * ws;
  const mask = new Float32Array(nWh * nWw * T * T);
  const labels = new Int32Array(T);
  for (let wy = 0; wy < nWh; wy++) {
    for (let wx = 0; wx < nWw; wx++) {
      for (let a = 0; a < T; a++) labels[a] = label(wy * ws + Math.floor(a / ws), wx * ws + (a % ws));
      const base = (wy * nWw + wx) * T * T;
      for (let a = 0; a < T; a++) {
        for (let b = 0; b < T; b++) mask[base + a * T + b] = labels[a] === labels[b] ? 0 : MASK_OFF;
      }
    }
  }
  return mask;
}

/** relative_position_bias_table[relative_position_index] moved to [heads, T, T]. */
function gatherRelativeBias(table: Float32Array, index: BigInt64Array, heads: number, T: number, name: string): Float32Array {
  const rows = table.length / heads;
  const out = new Float32Array(heads * T * T);
  for (let a = 0; a < T; a++) {
    for (let b = 0; b < T; b++) {
      const k = Number(index[a * T + b]);
      if (!Number.isInteger(k) || k < 0 || k >= rows) throw new UserError(`${name}: index ${k} at [${a},${b}] is outside the bias table (${rows} rows)`);
      for (let h = 0; h < heads; h++) out[(h * T + a) * T + b] = table[k * heads + h];
    }
  }
  return out;
}

/** torch.roll of a [N, H, W, C] image by `by` along axes 1 and 2 (Slice + Concat). */
function roll2d(g: GraphBuilder, x: Value, H: number, W: number, by: number): Value {
  const rollAxis = (v: Value, axis: number, n: number): Value => {
    const s = ((-by % n) + n) % n; // out[i] = in[(i + s) mod n]
    if (s === 0) return v;
    const head = g.op('Slice', [v, g.ints([s]), g.ints([n]), g.ints([axis])]);
    const tail = g.op('Slice', [v, g.ints([0]), g.ints([s]), g.ints([axis])]);
    return g.op('Concat', [head, tail], { axis });
  };
  return rollAxis(rollAxis(x, 1, H), 2, W);
}

interface Grid {
  H: number;
  W: number;
}

async function swinBlock(g: GraphBuilder, w: CheckpointWeights, cfg: SwinirConfig, x: Value, grid: Grid, i: number, j: number): Promise<Value> {
  const C = cfg.embed_dim;
  const ws = cfg.window_size;
  const T = ws * ws;
  const heads = cfg.num_heads[i];
  const hd = C / heads;
  const hidden = Math.round(C * cfg.mlp_ratio);
  const { H, W } = grid;
  const nWh = H / ws;
  const nWw = W / ws;
  const nW = nWh * nWw;
  const shift = shiftOf(cfg, j);
  const b = block(i, j);

  // Attention branch
  let h = layerNorm(g, x, `${b}.norm1`, await w.float(`${b}.norm1.weight`), await w.float(`${b}.norm1.bias`), LN_EPS);
  if (shift > 0) h = roll2d(g, h, H, W, -shift);
  // [N,H,W,C] -> [N, nWh, ws, nWw, ws, C] -> [N, nWh, nWw, ws, ws, C] -> [N, nW, T, C]
  h = reshape(g, transpose(g, reshape(g, h, [-1, nWh, ws, nWw, ws, C]), [0, 1, 3, 2, 4, 5]), [-1, nW, T, C]);
  const qkv = linear(g, h, `${b}.attn.qkv`, await w.float(`${b}.attn.qkv.weight`), 3 * C, C, await w.float(`${b}.attn.qkv.bias`));
  // [N, nW, T, 3, heads, hd] -> [3, N, nW, heads, T, hd]
  const qkvT = transpose(g, reshape(g, qkv, [-1, nW, T, 3, heads, hd]), [3, 0, 1, 4, 2, 5]);
  const [q3, k3, v3] = g.opN('Split', [qkvT, g.ints([1, 1, 1])], 3, { axis: 0 });
  const squeeze = (v: Value) => g.op('Squeeze', [v, g.ints([0])]);
  const q = mul(g, squeeze(q3), g.scalar(hd ** -0.5));
  const k = squeeze(k3);
  const v = squeeze(v3);
  // Logits, bias and mask in float32 (the -100 mask and small bias differences matter).
  let logits = toF32(g, g.op('MatMul', [q, transpose(g, k, [0, 1, 2, 4, 3])])); // [N, nW, heads, T, T]
  const table = await w.float(`${b}.attn.relative_position_bias_table`);
  const index = await w.int64(`${b}.attn.relative_position_index`);
  const bias = gatherRelativeBias(table, index, heads, T, `${b}.attn.relative_position_index`);
  logits = add(g, logits, g.weightF32(`${b}.attn.relative_position_bias`, bias, [heads, T, T]));
  if (shift > 0) {
    const maskName = `${b}.attn_mask`;
    const stored = H === cfg.img_size_tokens && W === cfg.img_size_tokens && w.has(maskName);
    const mask = stored ? await w.float(maskName) : shiftedWindowMask(H, W, ws, shift);
    logits = add(g, logits, g.weightF32(maskName, mask, [nW, 1, T, T]));
  }
  const attn = toNetFloat(g, g.op('Softmax', [logits], { axis: -1 })); // float32 logits -> weights
  // [N, nW, heads, T, hd] -> [N, nW, T, heads, hd] -> [N, nW, T, C]
  let o = reshape(g, transpose(g, g.op('MatMul', [attn, v]), [0, 1, 3, 2, 4]), [-1, nW, T, C]);
  o = linear(g, o, `${b}.attn.proj`, await w.float(`${b}.attn.proj.weight`), C, C, await w.float(`${b}.attn.proj.bias`));
  // windows -> image: [N, nWh, nWw, ws, ws, C] -> [N, nWh, ws, nWw, ws, C] -> [N, H, W, C]
  o = reshape(g, transpose(g, reshape(g, o, [-1, nWh, nWw, ws, ws, C]), [0, 1, 3, 2, 4, 5]), [-1, H, W, C]);
  if (shift > 0) o = roll2d(g, o, H, W, shift);
  x = add(g, x, o);

  // MLP branch
  let m = layerNorm(g, x, `${b}.norm2`, await w.float(`${b}.norm2.weight`), await w.float(`${b}.norm2.bias`), LN_EPS);
  m = linear(g, m, `${b}.mlp.fc1`, await w.float(`${b}.mlp.fc1.weight`), hidden, C, await w.float(`${b}.mlp.fc1.bias`));
  m = linear(g, gelu(g, m), `${b}.mlp.fc2`, await w.float(`${b}.mlp.fc2.weight`), C, hidden, await w.float(`${b}.mlp.fc2.bias`));
  return add(g, x, m);
}

async function conv(g: GraphBuilder, w: CheckpointWeights, x: Value, name: string, out: number, inp: number): Promise<Value> {
  return conv2d(g, x, P + name, await w.float(`${P}${name}.weight`), await w.float(`${P}${name}.bias`), [out, inp, 3, 3]);
}

/** Nearest-neighbour x2 upsampling of [N, C, H, W] (exact: reshape + broadcast, any dtype). */
function nearest2x(g: GraphBuilder, x: Value, C: number, H: number, W: number): Value {
  const expanded = g.op('Expand', [reshape(g, x, [-1, C, H, 1, W, 1]), g.ints([1, 1, 1, 2, 1, 2])]);
  return reshape(g, expanded, [-1, C, 2 * H, 2 * W]);
}

/**
 * Adds SwinIR to `g`: graph input `y` float32 [N,3,S,S] (degraded faces in [0,1]) and output
 * `mmse` float32 [N,3,S,S] (the posterior mean, not clipped). Tensors are read one at a time.
 */
export async function buildSwinir(g: GraphBuilder, w: CheckpointWeights, cfg: SwinirConfig, imageSize: number): Promise<void> {
  const multiple = swinirSizeMultiple(cfg);
  if (!Number.isInteger(imageSize) || imageSize <= 0 || imageSize % multiple !== 0) {
    throw new UserError(`SwinIR image size ${imageSize} must be a positive multiple of ${multiple} (unshuffle ${cfg.unshuffle_scale} x window ${cfg.window_size})`);
  }
  if (cfg.img_size_tokens <= cfg.window_size) {
    throw new UserError(`SwinIR img_size_tokens ${cfg.img_size_tokens} <= window ${cfg.window_size}: unshifted-window variant is not supported`);
  }
  const S = imageSize;
  const r = cfg.unshuffle_scale;
  const C = cfg.embed_dim;
  const H = S / r;
  const W = S / r;
  const grid = { H, W };

  const y = g.input('y', 'float32', ['N', 3, S, S]);
  const mean = g.weight('swinir_mean', Float32Array.from(SWINIR_MEAN), [1, 3, 1, 1]);
  let x = g.op('Sub', [toNetFloat(g, y), mean]);
  // PixelUnshuffle, channel-major: out channel c*r*r + i*r + j = input c at (i, j) in each block.
  x = reshape(g, transpose(g, reshape(g, x, [-1, 3, H, r, W, r]), [0, 1, 3, 5, 2, 4]), [-1, 3 * r * r, H, W]);
  const first = await conv(g, w, x, 'conv_first.1', C, 3 * r * r);

  // tokens (channels-last) for the transformer body
  let t = transpose(g, first, [0, 2, 3, 1]);
  t = layerNorm(g, t, `${P}patch_embed.norm`, await w.float(`${P}patch_embed.norm.weight`), await w.float(`${P}patch_embed.norm.bias`), LN_EPS);
  for (let i = 0; i < cfg.depths.length; i++) {
    const stageIn = t;
    let s = t;
    for (let j = 0; j < cfg.depths[i]; j++) {
      s = await swinBlock(g, w, cfg, s, grid, i, j);
    }
    const img = await conv(g, w, transpose(g, s, [0, 3, 1, 2]), `layers.${i}.conv`, C, C);
    t = add(g, transpose(g, img, [0, 2, 3, 1]), stageIn);
  }
  t = layerNorm(g, t, `${P}norm`, await w.float(`${P}norm.weight`), await w.float(`${P}norm.bias`), LN_EPS);
  let body = await conv(g, w, transpose(g, t, [0, 3, 1, 2]), 'conv_after_body', C, C);
  body = add(g, body, first);

  // upsampler: conv + LeakyReLU(0.01), then (nearest x2, conv, LeakyReLU(0.2)) per factor 2
  const F = UPSAMPLE_FEATURES;
  let u = leakyRelu(g, await conv(g, w, body, 'conv_before_upsample.0', F, C), 0.01);
  let side = H;
  for (const name of upsampleConvNames(r)) {
    u = leakyRelu(g, await conv(g, w, nearest2x(g, u, F, side, side), name, F, F), 0.2);
    side *= 2;
  }
  u = leakyRelu(g, await conv(g, w, u, 'conv_hr', F, F), 0.2);
  const out = add(g, await conv(g, w, u, 'conv_last', 3, F), mean);
  g.output(toF32(g, out), 'mmse', 'float32', ['N', 3, S, S]);
}
