/**
 * The samplers against an analytic Gaussian flow (tests/helpers/gaussian-flow.ts): error orders,
 * evaluation counts, the start time and the fidelity blend's closed-form line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SAMPLERS, SAMPLER_INFO, integrate, timeGrid, evaluationsFrom, type SamplerName } from '../../src-main/worker/inference/samplers.ts';
import { blendFidelity } from '../../src-main/worker/inference/fidelity.ts';
import { fittedOrder } from '../../src-main/worker/inference/sampler-check.ts';
import { flowEvaluations } from '../../src-shared/settings.ts';
import { blendLine, draw, exactEnd, makeFlow, velocity } from '../helpers/gaussian-flow.ts';

const flow = makeFlow(8, 3);
const points = draw(flow, 64, 11);

async function solve(sampler: SamplerName, evaluations: number, start = 0, z0 = points.z0, mean = points.m): Promise<{ x: Float32Array; evals: number }> {
  // x(t0) = m + (1 - t0)(Z0 - m): the point on PMRF's path that starts from the mean.
  const x = Float32Array.from(z0, (z, j) => mean[j] + (1 - start) * (z - mean[j]));
  let calls = 0;
  const evals = await integrate(sampler, x, async (s, t) => (calls++, velocity(flow, s, t)), { evaluations, start });
  assert.equal(evals, calls, 'the sampler counts the evaluations it made');
  return { x, evals };
}

function rms(a: Float32Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

/** Over `count` 2-D samples: coordinate i's MSE to the truth and its standard deviation. */
function coordinateStats(out: Float32Array, truth: ArrayLike<number>, count: number, i: number): { mse: number; sd: number } {
  let se = 0;
  let s1 = 0;
  let s2 = 0;
  for (let p = 0; p < count; p++) {
    const v = out[p * 2 + i];
    se += (v - truth[p * 2 + i]) ** 2;
    s1 += v;
    s2 += v * v;
  }
  return { mse: se / count, sd: Math.sqrt(s2 / count - (s1 / count) ** 2) };
}

test('oracle: euler is first order, heun and multistep2 second order, at equal evaluations', async () => {
  const exact = exactEnd(flow, Float32Array.from(points.z0), 0);
  const orders: Record<string, number> = {};
  const at8: Record<string, number> = {};
  for (const name of SAMPLERS) {
    const pts = [];
    for (const evals of [4, 8, 16, 32, 64]) {
      const r = await solve(name, evals);
      assert.equal(r.evals, evals, `${name} spends exactly the budget of ${evals}`);
      pts.push({ evals, err: rms(r.x, exact) });
    }
    orders[name] = fittedOrder(pts);
    at8[name] = pts[1].err;
    console.log(`${name}: order ${orders[name].toFixed(3)}; errors ${pts.map((p) => `${p.evals}:${p.err.toExponential(2)}`).join(' ')}`);
  }
  assert.ok(Math.abs(orders.euler - 1) < 0.2, `euler order ${orders.euler}`);
  assert.ok(Math.abs(orders.heun - 2) < 0.3, `heun order ${orders.heun}`);
  assert.ok(Math.abs(orders.multistep2 - 2) < 0.3, `multistep2 order ${orders.multistep2}`);
  assert.ok(at8.multistep2 < at8.euler / 2, 'multistep2 at 8 evaluations beats euler');
});

test('evaluation budget: floor(K / evalsPerStep) steps, at least one; a start t0 spends ceil(K (1 - t0))', () => {
  assert.deepEqual(SAMPLER_INFO.heun.evalsPerStep, 2);
  assert.equal(timeGrid('euler', 4).steps, 4);
  assert.deepEqual(timeGrid('euler', 4).t, [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(timeGrid('euler', 7).h, 1 / 7, 'h is exactly 1/K, as in PMRF');
  assert.equal(timeGrid('heun', 5).steps, 2);
  assert.equal(timeGrid('heun', 1).steps, 1);
  assert.equal(evaluationsFrom(10, 0.7), 3);
  assert.equal(evaluationsFrom(4, 0.5), 2);
  assert.equal(evaluationsFrom(4, 0.9), 1);
  assert.deepEqual(timeGrid('euler', 4, 0.5).t, [0.5, 0.75, 1]);
  assert.throws(() => evaluationsFrom(4, 1), /\[0, 1\)/);
  assert.throws(() => evaluationsFrom(0), />= 1/);
  // What the app's time estimate counts per face.
  const s = { steps: 5, sampler: 'euler' as const, strength: 1, fidelity: 1 };
  assert.equal(flowEvaluations(s), 5);
  assert.equal(flowEvaluations({ ...s, sampler: 'heun' }), 4);
  assert.equal(flowEvaluations({ ...s, strength: 0.5 }), 3);
  assert.equal(flowEvaluations({ ...s, fidelity: 0 }), 0);
});

test('oracle: a late start runs fewer evaluations and still lands on the exact solution from x(t0)', async () => {
  const t0 = 0.5;
  const x0 = Float32Array.from(points.z0, (z, j) => points.m[j] + (1 - t0) * (z - points.m[j]));
  const exact = exactEnd(flow, x0, t0);
  const coarse = await solve('heun', 4, t0);
  const fine = await solve('heun', 64, t0);
  assert.equal(coarse.evals, 2);
  assert.ok(rms(fine.x, exact) < rms(coarse.x, exact) / 20, 'converges to the exact solution from t0');
  assert.ok(rms(fine.x, exact) < 1e-4);
});

test('oracle: the fidelity blend of the flow result reproduces the closed-form distortion-perception line', async () => {
  // One rotated coordinate per problem: a 2-D flow with no rotation, many draws.
  const f = { ...makeFlow(2, 5), angle: new Float64Array(1) };
  const count = 20000;
  const d = draw(f, count, 21);
  const x = Float32Array.from(d.z0);
  await integrate('heun', x, async (s, t) => velocity(f, s, t), { evaluations: 64 });
  const mean = Float32Array.from(d.m);
  for (const l of [0, 0.25, 0.5, 0.75, 1]) {
    const out = blendFidelity(mean, x, l);
    for (let i = 0; i < 2; i++) {
      const { mse, sd } = coordinateStats(out, d.x, count, i);
      const want = blendLine(f, i, l);
      assert.ok(Math.abs(mse / want.mse - 1) < 0.04, `lambda ${l} coord ${i}: mse ${mse} vs closed form ${want.mse}`);
      assert.ok(Math.abs(sd / want.sd - 1) < 0.03, `lambda ${l} coord ${i}: sd ${sd} vs closed form ${want.sd}`);
    }
  }
  // The ends: the mean is the MMSE point; the flow's end has the data's spread (perfect perception).
  for (let i = 0; i < 2; i++) {
    assert.ok(blendLine(f, i, 0).mse < blendLine(f, i, 1).mse);
    assert.ok(Math.abs(blendLine(f, i, 1).sd - f.s[i]) < 1e-12);
  }
});

test('oracle: strength (a later start) measured against the blend on the distortion-perception plane', async () => {
  // One rotated coordinate per problem, exact-enough flow (heun, 128 evaluations) from each start.
  const f = { ...makeFlow(2, 5), angle: new Float64Array(1) };
  const count = 20000;
  const d = draw(f, count, 21);
  const field = async (s: Float32Array, t: number) => velocity(f, s, t);
  /** Per coordinate: MSE to X and W2 to the data's law (|sd - s|; the means agree). */
  const dp = (out: Float32Array) =>
    [0, 1].map((i) => {
      const { mse, sd } = coordinateStats(out, d.x, count, i);
      return { mse, w2: Math.abs(sd - f.s[i]) };
    });
  const full = Float32Array.from(d.z0);
  await integrate('heun', full, field, { evaluations: 128 });
  const mean = Float32Array.from(d.m);
  const blend = [0, 0.25, 0.5, 0.75, 1].map((l) => ({ l, pts: dp(blendFidelity(mean, full, l)) }));
  const strength = [];
  for (const s of [0.25, 0.5, 0.75]) {
    const x = Float32Array.from(d.z0, (z, j) => d.m[j] + s * (z - d.m[j]));
    await integrate('heun', x, field, { evaluations: 128, start: 1 - s });
    strength.push({ s, pts: dp(x) });
  }
  const fmt = (p: { mse: number; w2: number }[]) => p.map((q) => `(${q.mse.toFixed(4)}, ${q.w2.toFixed(4)})`).join(' ');
  for (const b of blend) console.log(`blend λ ${b.l}: (MSE, W2) ${fmt(b.pts)}`);
  for (const s of strength) console.log(`strength ${s.s}: (MSE, W2) ${fmt(s.pts)}`);
  // The blend's W2 at a given MSE, by linear interpolation along its line.
  const blendW2At = (i: number, mse: number) => {
    for (let k = 1; k < blend.length; k++) {
      const a = blend[k - 1].pts[i];
      const b = blend[k].pts[i];
      if (mse >= a.mse && mse <= b.mse) return a.w2 + ((mse - a.mse) / (b.mse - a.mse)) * (b.w2 - a.w2);
    }
    return Number.NaN;
  };
  // Measured: on this Gaussian flow a later start lies below the blend's line (closer to the data's
  // law at the same MSE), because PMRF's x_1 is not the best perfect-perception estimate (its source
  // noise costs MSE). It also spends fewer evaluations.
  for (const s of strength) for (const i of [0, 1]) assert.ok(s.pts[i].w2 < blendW2At(i, s.pts[i].mse), `strength ${s.s}, coordinate ${i}`);
});
