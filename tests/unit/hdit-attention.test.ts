/**
 * HDiT attention pieces against direct JS computations of the SPEC: the tiled neighborhood
 * attention (gather + mask) against naive clamped-window attention, and cosine-sim + axial RoPE
 * against the per-channel formula.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import {
  cosineSimRope,
  globalAttention,
  MASKED_LOGIT,
  neighborhoodAttention,
  neighborhoodConsts,
  neighborhoodPlan,
  ropeTables,
  windowStart,
  type Grid,
} from '../../src-main/worker/inference/hdit-attention.ts';
import { GraphBuilder, type Value } from '../../src-main/worker/inference/onnx/graph.ts';

/** Deterministic pseudo-random values in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

async function runGraph(g: GraphBuilder, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(g.encode());
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, { data, dims }] of Object.entries(feeds)) inputs[name] = new ort.Tensor('float32', data, dims);
    const out = await session.run(inputs);
    return out.y.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Naive attention: out[token, head] = softmax over `keys(token)` of q.k, weighted sum of v. Layout [heads, L, e] in, [L, heads*e] out. */
function naiveAttention(q: Float32Array, k: Float32Array, v: Float32Array, heads: number, L: number, e: number, keys: (t: number) => number[]): Float32Array {
  const out = new Float32Array(L * heads * e);
  for (let hd = 0; hd < heads; hd++) {
    for (let t = 0; t < L; t++) {
      const ks = keys(t);
      const logits = ks.map((s) => {
        let acc = 0;
        for (let c = 0; c < e; c++) acc += q[(hd * L + t) * e + c] * k[(hd * L + s) * e + c];
        return acc;
      });
      const m = Math.max(...logits);
      const w = logits.map((x) => Math.exp(x - m));
      const z = w.reduce((a, b) => a + b, 0);
      for (let c = 0; c < e; c++) {
        let acc = 0;
        ks.forEach((s, idx) => (acc += w[idx] * v[(hd * L + s) * e + c]));
        out[(t * heads + hd) * e + c] = acc / z;
      }
    }
  }
  return out;
}

function windowKeys(grid: Grid, kernel: number): (t: number) => number[] {
  return (t) => {
    const i = Math.floor(t / grid.w);
    const j = t % grid.w;
    const si = windowStart(i, grid.h, kernel);
    const sj = windowStart(j, grid.w, kernel);
    const out: number[] = [];
    for (let r = si; r < si + kernel; r++) for (let c = sj; c < sj + kernel; c++) out.push(r * grid.w + c);
    return out;
  };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('windows shift inward at the borders and are never padded', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => windowStart(i, 9, 7)), [0, 0, 0, 0, 1, 2, 2, 2, 2]);
  assert.deepEqual([0, 3, 4, 12, 15].map((i) => windowStart(i, 16, 7)), [0, 0, 1, 9, 9]);
});

for (const grid of [
  { h: 9, w: 11 },
  { h: 16, w: 16 },
  { h: 24, w: 16 },
  { h: 7, w: 32 },
]) {
  test(`neighborhood plan ${grid.h}x${grid.w}: each query sees exactly its clamped 7x7 window`, () => {
    const plan = neighborhoodPlan(grid, 7);
    const T = plan.th * plan.tw;
    const R = plan.rh * plan.rw;
    const expected = windowKeys(grid, 7);
    for (let ti = 0; ti < plan.tilesH; ti++) {
      for (let tj = 0; tj < plan.tilesW; tj++) {
        const tile = ti * plan.tilesW + tj;
        const region = plan.gather.slice(tile * R, (tile + 1) * R);
        for (let a = 0; a < plan.th; a++) {
          for (let b = 0; b < plan.tw; b++) {
            const token = (ti * plan.th + a) * grid.w + tj * plan.tw + b;
            const row = plan.mask.subarray((tile * T + a * plan.tw + b) * R, (tile * T + a * plan.tw + b + 1) * R);
            const seen = region.filter((_, r) => row[r] === 0).sort((x, y) => x - y);
            assert.deepEqual(seen, expected(token), `token ${token}`);
            assert.ok(row.every((m) => m === 0 || m === MASKED_LOGIT));
          }
        }
      }
    }
  });
}

for (const grid of [
  { h: 9, w: 11 },
  { h: 16, w: 16 },
  { h: 24, w: 16 },
]) {
  test(`neighborhood attention graph ${grid.h}x${grid.w} matches naive clamped-window attention`, async () => {
    const heads = 2;
    const e = 8;
    const L = grid.h * grid.w;
    const g = new GraphBuilder({ name: 'na', floatType: 'float32' });
    const dims = [1, heads, L, e];
    const [q, k, v] = ['q', 'k', 'v'].map((n) => g.input(n, 'float32', dims));
    const y = neighborhoodAttention(g, q, k, v, neighborhoodConsts(g, neighborhoodPlan(grid, 7)), heads, e);
    g.output(y, 'y', 'float32', [1, L, heads * e]);
    // logits up to ~16: the same range as cosine-sim logits with scale ~10
    const [qd, kd, vd] = [1, 2, 3].map((s) => noise(heads * L * e, s).map((x) => 1.4 * x));
    const got = await runGraph(g, { q: { data: qd, dims }, k: { data: kd, dims }, v: { data: vd, dims } });
    const want = naiveAttention(qd, kd, vd, heads, L, e, windowKeys(grid, 7));
    assert.ok(maxAbsDiff(got, want) < 1e-5, `max diff ${maxAbsDiff(got, want)}`);
  });
}

test('global attention graph matches naive full attention', async () => {
  const heads = 3;
  const e = 4;
  const L = 20;
  const g = new GraphBuilder({ name: 'ga', floatType: 'float32' });
  const dims = [1, heads, L, e];
  const [q, k, v] = ['q', 'k', 'v'].map((n) => g.input(n, 'float32', dims));
  g.output(globalAttention(g, q, k, v, L, heads, e), 'y', 'float32', [1, L, heads * e]);
  const [qd, kd, vd] = [4, 5, 6].map((s) => noise(heads * L * e, s));
  const got = await runGraph(g, { q: { data: qd, dims }, k: { data: kd, dims }, v: { data: vd, dims } });
  const all = Array.from({ length: L }, (_, i) => i);
  assert.ok(maxAbsDiff(got, naiveAttention(qd, kd, vd, heads, L, e, () => all)) < 1e-5);
});

test('cosine-sim scaling and axial RoPE follow the SPEC formula', async () => {
  const heads = 2;
  const dHead = 16;
  const grid = { h: 3, w: 5 };
  const L = grid.h * grid.w;
  const freqs = Float32Array.from({ length: heads * (dHead / 8) }, (_, i) => Math.PI * 1.7 ** i);
  const scale = [9, 12.5];
  const g = new GraphBuilder({ name: 'rope', floatType: 'float32' });
  const dims = [1, heads, L, dHead];
  const x = g.input('x', 'float32', dims);
  const { cos, sin } = ropeTables(freqs, heads, dHead, grid);
  const tdims = [heads, L, 4, dHead / 4];
  const rope = { cos: g.weight('cos', cos, tdims), sin: g.weight('sin', sin, tdims), swap: g.ints([1, 0, 2, 3]) };
  const sqrtScale: Value = g.weightF32('s', Float32Array.from(scale, Math.sqrt), [heads, 1, 1]);
  g.output(cosineSimRope(g, x, sqrtScale, rope, heads, L, dHead), 'y', 'float32', dims);
  const xd = noise(heads * L * dHead, 7);
  const got = await runGraph(g, { x: { data: xd, dims } });
  const d = dHead / 4;
  const nf = dHead / 8;
  const want = new Float32Array(xd.length);
  for (let hd = 0; hd < heads; hd++) {
    for (let t = 0; t < L; t++) {
      const ph = -1 + (2 * Math.floor(t / grid.w) + 1) / grid.h;
      const pw = -1 + (2 * (t % grid.w) + 1) / grid.w;
      const base = (hd * L + t) * dHead;
      const row = Array.from(xd.subarray(base, base + dHead));
      const norm = Math.sqrt(row.reduce((a, b) => a + b * b, 0) + 1e-6);
      const y = row.map((val) => (val * Math.sqrt(scale[hd])) / norm);
      const theta = [...Array.from({ length: nf }, (_, c) => ph * freqs[hd * nf + c]), ...Array.from({ length: nf }, (_, c) => pw * freqs[hd * nf + c])];
      for (let c = 0; c < dHead; c++) want[base + c] = y[c];
      for (let c = 0; c < d; c++) {
        want[base + c] = y[c] * Math.cos(theta[c]) - y[c + d] * Math.sin(theta[c]);
        want[base + d + c] = y[c + d] * Math.cos(theta[c]) + y[c] * Math.sin(theta[c]);
      }
    }
  }
  assert.ok(maxAbsDiff(got, want) < 1e-5, `max diff ${maxAbsDiff(got, want)}`);
});
