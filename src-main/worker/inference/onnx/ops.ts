/**
 * Layer helpers shared by the network builders. Shapes are given as plain numbers where the
 * builders know them; -1 / 0 follow ONNX Reshape semantics.
 *
 * float16 builds: normalisations and softmax are computed in float32 (cast in, cast out) so they
 * neither overflow nor lose the small differences they depend on.
 */
import { GraphBuilder, f, type Value } from './graph.ts';

const FLOAT = 1;
const FLOAT16 = 10;

export function reshape(g: GraphBuilder, x: Value, shape: number[]): Value {
  return g.op('Reshape', [x, g.ints(shape)]);
}

export function transpose(g: GraphBuilder, x: Value, perm: number[]): Value {
  return g.op('Transpose', [x], { perm });
}

export function add(g: GraphBuilder, a: Value, b: Value): Value {
  return g.op('Add', [a, b]);
}

export function mul(g: GraphBuilder, a: Value, b: Value): Value {
  return g.op('Mul', [a, b]);
}

/** Casts a float32 value to the network's float type (no-op for float32 builds). */
export function toNetFloat(g: GraphBuilder, x: Value): Value {
  return g.floatType === 'float16' ? g.op('Cast', [x], { to: FLOAT16 }) : x;
}

/** Casts a network-float value to float32 (no-op for float32 builds). */
export function toF32(g: GraphBuilder, x: Value): Value {
  return g.floatType === 'float16' ? g.op('Cast', [x], { to: FLOAT }) : x;
}

/**
 * Linear layer from a PyTorch weight [out, in] (and optional bias [out]): y = x W^T + b.
 * The weight is stored transposed ([in, out]) so MatMul needs no Transpose at run time.
 */
export function linear(g: GraphBuilder, x: Value, name: string, weight: Float32Array, outFeatures: number, inFeatures: number, bias?: Float32Array): Value {
  if (weight.length !== outFeatures * inFeatures) throw new Error(`${name}: weight has ${weight.length} values, expected ${outFeatures}x${inFeatures}`);
  const wt = new Float32Array(weight.length);
  for (let o = 0; o < outFeatures; o++) {
    for (let i = 0; i < inFeatures; i++) wt[i * outFeatures + o] = weight[o * inFeatures + i];
  }
  let y = g.op('MatMul', [x, g.weight(`${name}.weight`, wt, [inFeatures, outFeatures])]);
  if (bias !== undefined) y = g.op('Add', [y, g.weight(`${name}.bias`, bias, [outFeatures])]);
  return y;
}

/** LayerNorm over the last axis (PyTorch nn.LayerNorm semantics). */
export function layerNorm(g: GraphBuilder, x: Value, name: string, weight: Float32Array, bias: Float32Array, eps: number): Value {
  const dims = [weight.length];
  const y = g.op('LayerNormalization', [toF32(g, x), g.weightF32(`${name}.weight`, weight, dims), g.weightF32(`${name}.bias`, bias, dims)], {
    axis: -1,
    epsilon: f(eps),
  });
  return toNetFloat(g, y);
}

/**
 * RMSNorm over the last axis: x * scale / sqrt(mean(x^2) + eps). `scale` is any value that
 * broadcasts against x (a stored vector, or 1 + a conditioning projection), in float32.
 * Written as Pow/ReduceMean/Add/Sqrt/Div/Mul, the pattern onnxruntime fuses into one
 * SimplifiedLayerNormalization kernel when `scale` is a stored [C] vector. `float32Out` keeps
 * the result in float32 (for a float32 input in a float16 build, e.g. a conditioning path).
 */
export function rmsNorm(g: GraphBuilder, x: Value, scale: Value, eps: number, float32Out = false): Value {
  const x32 = float32Out ? x : toF32(g, x);
  const ms = g.op('ReduceMean', [g.op('Pow', [x32, g.scalar(2, 'float32')]), g.ints([-1])], { keepdims: 1 });
  const rms = g.op('Sqrt', [g.op('Add', [ms, g.scalar(eps, 'float32')])]);
  const y = g.op('Mul', [g.op('Div', [x32, rms]), scale]);
  return float32Out ? y : toNetFloat(g, y);
}

/** Exact (erf) GELU. */
export function gelu(g: GraphBuilder, x: Value): Value {
  return g.op('Gelu', [x], { approximate: 'none' });
}

export function softmax(g: GraphBuilder, x: Value, axis = -1): Value {
  return toNetFloat(g, g.op('Softmax', [toF32(g, x)], { axis }));
}

/**
 * Conv2d, stride 1, "same" padding for odd kernels, from a PyTorch weight [out, in, k, k]. With
 * `g.convChannelMultiple` > 1 the input channels are padded with zeros (and the weight with zero
 * input channels) up to that multiple: the same result, for kernels that get other counts wrong.
 */
export function conv2d(g: GraphBuilder, x: Value, name: string, weight: Float32Array, bias: Float32Array, shape: [number, number, number, number]): Value {
  const [out, inp, kh, kw] = shape;
  const m = g.convChannelMultiple;
  const padded = Math.ceil(inp / m) * m;
  let input = x;
  let w = weight;
  if (padded !== inp) {
    input = g.op('Pad', [x, g.ints([0, 0, 0, 0, 0, padded - inp, 0, 0])], { mode: 'constant' });
    w = new Float32Array(out * padded * kh * kw);
    const per = inp * kh * kw;
    for (let o = 0; o < out; o++) w.set(weight.subarray(o * per, (o + 1) * per), o * padded * kh * kw);
  }
  const wv = g.weight(`${name}.weight`, w, [out, padded, kh, kw]);
  const b = g.weight(`${name}.bias`, bias, [out]);
  return g.op('Conv', [input, wv, b], { kernel_shape: [kh, kw], pads: [kh >> 1, kw >> 1, kh >> 1, kw >> 1], strides: [1, 1] });
}

export function leakyRelu(g: GraphBuilder, x: Value, slope: number): Value {
  return g.op('LeakyRelu', [x], { alpha: f(slope) });
}
