/**
 * Consistency guidance (worker/inference/guidance.ts) on the analytic Gaussian flow: the closed-form
 * step drives ‖A x_K − y‖ down monotonically in λ and stays bounded at λ = 1e4 where explicit Euler
 * on the same term blows up; λ = 0 is bit-identical to no guidance; masks and luminance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { integrate, type StepCorrection } from '../../src-main/worker/inference/samplers.ts';
import { ConsistencyGuidance, blockMeans, pullBatch, consistencyError, consistencyTarget, type ConsistencySpec } from '../../src-main/worker/inference/guidance.ts';
import { draw, makeFlow, velocity } from '../helpers/gaussian-flow.ts';

const S = 8;
const flow = makeFlow(3 * S * S, 7);
const d = draw(flow, 1, 31);
const field = async (x: Float32Array, t: number) => velocity(flow, x, t);
// The "photo": the clean face seen through A (its block means), so y is reachable.
const crop = Float32Array.from(d.x);

async function run(spec: ConsistencySpec, lambda: number | null, correction?: StepCorrection): Promise<Float32Array> {
  const x = Float32Array.from(d.z0);
  const guide = lambda === null ? correction : new ConsistencyGuidance(lambda, [consistencyTarget(crop, S, spec)]);
  await integrate('euler', x, field, { evaluations: 4, correction: guide });
  return x;
}

test('guidance: ‖A x_K − y‖ falls monotonically in λ to 0; λ = 0 is bit-identical; bounded at λ = 1e4', async () => {
  const spec = { block: 4, luma: false };
  const target = consistencyTarget(crop, S, spec);
  const plain = await run(spec, null);
  assert.deepEqual(await run(spec, 0), plain, 'λ = 0 changes nothing');
  const lambdas = [0, 0.25, 1, 4, 16, 64, 1e4];
  const errs: number[] = [];
  for (const l of lambdas) {
    const x = await run(spec, l);
    assert.ok(x.every((v) => Number.isFinite(v) && Math.abs(v) < 10), `λ = ${l}: bounded`);
    errs.push(consistencyError(x, target));
  }
  console.log(`consistency at 4 euler steps: ${lambdas.map((l, i) => `λ=${l}: ${errs[i].toExponential(2)}`).join(', ')}`);
  // Strictly down until float32 rounding (~1e-7 on values near 0.5) is all that is left.
  for (let i = 1; i < errs.length; i++) assert.ok(errs[i] < errs[i - 1] || errs[i] < 1e-6, `λ ${lambdas[i]} (${errs[i]}) below λ ${lambdas[i - 1]} (${errs[i - 1]})`);
  assert.ok(errs[0] > 0.01, `unguided is measurably off (${errs[0]})`);
  assert.ok(errs.at(-1)! < 1e-5, `λ = 1e4 agrees with the photo (${errs.at(-1)})`);

  // Explicit Euler on the same term, x += hλ (A⁺y − P x̂), diverges at λ = 1e4 with 4 steps.
  const explicit: StepCorrection = { apply: (x, xhat, h) => pullBatch(x, xhat, [target], 1e4 * h) };
  const blown = await run(spec, null, explicit);
  assert.ok(consistencyError(blown, target) > 1e3 * errs[0], `explicit Euler blows up (${consistencyError(blown, target)})`);
});

test('guidance: masked pixels are left out of A and untouched; luminance mode matches luminance only', async () => {
  const mask = new Uint8Array(S * S);
  for (let p = 0; p < S * S; p += 3) mask[p] = 1;
  const spec = { block: 2, luma: false, mask };
  // One correction leaves the masked pixels as they are (the flow itself still moves them).
  const target = consistencyTarget(crop, S, spec);
  const x = Float32Array.from(d.z0);
  new ConsistencyGuidance(4, [target]).apply(x, Float32Array.from(d.m), 0.25);
  for (let c = 0; c < 3; c++) for (let p = 0; p < S * S; p++) if (mask[p]) assert.equal(x[c * S * S + p], d.z0[c * S * S + p]);
  assert.ok(x.some((v, i) => v !== d.z0[i]), 'the unmasked pixels are pulled');
  const guided = await run(spec, 1e4);
  assert.ok(consistencyError(guided, target) < 1e-5);

  const luma = { block: 4, luma: true };
  const lumaTarget = consistencyTarget(crop, S, luma);
  const g = await run(luma, 1e4);
  assert.ok(consistencyError(g, lumaTarget) < 1e-5, 'luminance block means agree');
  const rgb = consistencyTarget(crop, S, { block: 4, luma: false });
  assert.ok(consistencyError(g, rgb) > 1e-3, 'colour is not pulled to the photo');
  assert.equal(blockMeans(crop, S, luma).length, (S / 4) ** 2);
  assert.throws(() => consistencyTarget(crop, S, { block: 1, luma: false }), /from 2 to 8/);
});
