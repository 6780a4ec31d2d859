import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blendFidelity } from '../../src-main/worker/inference/fidelity.ts';

test('fidelity 1 is the flow result itself, 0 the mean itself, 0.25 a quarter of the way', () => {
  const mean = new Float32Array([0, 0.5, 1]);
  const flow = new Float32Array([1, 0.5, 0]);
  assert.equal(blendFidelity(mean, flow, 1), flow);
  assert.equal(blendFidelity(mean, flow, 0), mean);
  assert.deepEqual(Array.from(blendFidelity(mean, flow, 0.25)), [0.25, 0.5, 0.75]);
  assert.throws(() => blendFidelity(mean, flow, 1.5), /not in \[0, 1\]/);
  assert.throws(() => blendFidelity(mean, new Float32Array(2), 0.5), /mean has 3 values/);
});
