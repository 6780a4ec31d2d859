import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ExternalWeightsFile, GraphBuilder, f } from '../../src-main/worker/inference/onnx/graph.ts';
import { conv2d } from '../../src-main/worker/inference/onnx/ops.ts';
import { fromFloat16Bits, toFloat16Bits } from '../../src-main/worker/inference/onnx/float16.ts';

test('float16 conversion rounds to nearest even and round-trips representable values', () => {
  for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 0.333251953125]) {
    assert.equal(fromFloat16Bits(toFloat16Bits(v)), v);
  }
  assert.equal(fromFloat16Bits(toFloat16Bits(1 + 2 ** -11)), 1); // tie -> even
  assert.equal(fromFloat16Bits(toFloat16Bits(1 + 3 * 2 ** -11)), 1 + 2 ** -9);
  assert.equal(fromFloat16Bits(toFloat16Bits(1e6)), Infinity);
  assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN))));
});

test('a built graph with external weights runs in onnxruntime and computes x @ W + b', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-graph-'));
  try {
    const weights = new ExternalWeightsFile(path.join(dir, 'model.weights'), 'model.weights');
    const g = new GraphBuilder({ name: 'lin', floatType: 'float32', weights });
    const x = g.input('x', 'float32', ['N', 300]);
    const wData = Float32Array.from({ length: 300 * 2 }, (_, i) => ((i % 7) - 3) / 10);
    const w = g.weight('w', wData, [300, 2]);
    const b = g.weight('b', Float32Array.of(0.5, -1), [2]);
    const y = g.op('Add', [g.op('MatMul', [x, w]), b]);
    const z = g.op('LeakyRelu', [y], { alpha: f(0.25) });
    g.output(z, 'y', 'float32', ['N', 2]);
    const bytes = g.encode();
    weights.close();
    assert.ok(weights.size >= 300 * 2 * 4, 'the big weight went to the external file');
    writeFileSync(path.join(dir, 'model.onnx'), bytes);
    const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
    const xData = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i));
    const out = await session.run({ x: new ort.Tensor('float32', xData, [1, 300]) });
    const got = out.y.data as Float32Array;
    for (let j = 0; j < 2; j++) {
      let acc = j === 0 ? 0.5 : -1;
      for (let i = 0; i < 300; i++) acc += xData[i] * wData[i * 2 + j];
      const want = acc >= 0 ? acc : 0.25 * acc;
      assert.ok(Math.abs(got[j] - want) < 1e-4, `y[${j}] = ${got[j]}, want ${want}`);
    }
    await session.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keepFloat32: a float16 build computes the listed operators in float32 (casts around them only)', async () => {
  // Weights and input are exact in float16; the float32 product is exact and rounded once on the
  // way out (3071 -> 3072, the nearest float16).
  const K = 2048;
  const build = (keepFloat32: string[]) => {
    const g = new GraphBuilder({ name: 'mm', floatType: 'float16', keepFloat32 });
    const x = g.input('x', 'float32', [1, K]);
    const xh = g.op('Cast', [x], { to: 10 });
    const y = g.op('MatMul', [xh, g.weight('w', Float32Array.from({ length: K }, (_, i) => (i === 0 ? 1024 : 1)), [K, 1])]);
    g.output(g.op('Cast', [g.op('Add', [y, g.scalar(0)])], { to: 1 }), 'y', 'float32', [1, 1]);
    return g;
  };
  const kept = build(['MatMul']);
  assert.equal(kept.nodeCount, build([]).nodeCount + 3, 'Casts up for x and w (folded into a float32 constant by onnxruntime), one down for the product');
  const x = new ort.Tensor('float32', Float32Array.from({ length: K }, () => 1), [1, K]);
  const session = await ort.InferenceSession.create(kept.encode());
  const y = ((await session.run({ x })).y.data as Float32Array)[0];
  await session.release();
  assert.equal(y, 3072);
});

test('conv2d with convChannelMultiple pads the input channels with zeros: the same result', async () => {
  const cin = 30, cout = 8, H = 6;
  const weight = Float32Array.from({ length: cout * cin * 9 }, (_, i) => Math.sin(i * 1.3) * 0.1);
  const bias = Float32Array.from({ length: cout }, (_, i) => i * 0.01);
  const x = new ort.Tensor('float32', Float32Array.from({ length: cin * H * H }, (_, i) => Math.cos(i * 0.37)), [1, cin, H, H]);
  const run = async (convChannelMultiple: number) => {
    const g = new GraphBuilder({ name: 'conv', floatType: 'float32', convChannelMultiple });
    g.output(conv2d(g, g.input('x', 'float32', [1, cin, H, H]), 'c', weight, bias, [cout, cin, 3, 3]), 'y', 'float32', [1, cout, H, H]);
    const s = await ort.InferenceSession.create(g.encode());
    const y = (await s.run({ x })).y.data as Float32Array;
    await s.release();
    return { y, nodes: g.nodeCount };
  };
  const plain = await run(1);
  const padded = await run(4);
  assert.equal(padded.nodes, plain.nodes + 1, 'one Pad node');
  let err = 0;
  for (let i = 0; i < plain.y.length; i++) err = Math.max(err, Math.abs(plain.y[i] - padded.y[i]));
  assert.ok(err < 1e-5, `padded conv differs by ${err}`);
});
