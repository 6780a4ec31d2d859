import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blendFidelity } from '../../src-main/worker/inference/fidelity.ts';
import { needsFlow, type FaceRestorer, type RestoreOptions } from '../../src-main/worker/pipeline/face-restorer.ts';
import { restoreFaces } from '../../src-main/worker/pipeline/restore-faces.ts';
import type { AlignedFaces } from '../../src-main/worker/pipeline/align.ts';

test('fidelity 1 is the flow result itself, 0 the mean itself, 0.25 a quarter of the way', () => {
  const mean = new Float32Array([0, 0.5, 1]);
  const flow = new Float32Array([1, 0.5, 0]);
  assert.equal(blendFidelity(mean, flow, 1), flow);
  assert.equal(blendFidelity(mean, flow, 0), mean);
  assert.deepEqual(Array.from(blendFidelity(mean, flow, 0.25)), [0.25, 0.5, 0.75]);
  assert.throws(() => blendFidelity(mean, flow, 1.5), /not in \[0, 1\]/);
  assert.throws(() => blendFidelity(mean, new Float32Array(2), 0.5), /mean has 3 values/);
});

test('the restore stage puts each face at its fidelity: the global one, or the face its own; 1 is the restorer output itself', async () => {
  const S = 2;
  const per = 3 * S * S;
  const seen: RestoreOptions[] = [];
  // Mean 0.2, "flow" 0.6 for every face: the blend is easy to read back.
  const restorer: FaceRestorer = {
    faceSize: S,
    description: 'two constants (test)',
    async restore(_faces, n, options) {
      seen.push(options);
      return { restored: new Float32Array(n * per).fill(0.6), mean: new Float32Array(n * per).fill(0.2) };
    },
    async dispose() {},
  };
  const aligned = { faces: new Float32Array(3 * per), n: 3, size: S } as AlignedFaces;
  const at = (r: { restored: Float32Array }) => [0, 1, 2].map((i) => Number(r.restored[i * per].toFixed(6)));
  const flow = await restoreFaces(restorer, aligned, { steps: 2, seed: 1, fidelity: 1 });
  assert.deepEqual(at(flow), [0.6, 0.6, 0.6]);
  assert.deepEqual(at(await restoreFaces(restorer, aligned, { steps: 2, seed: 1, fidelity: 0.5 })), [0.4, 0.4, 0.4]);
  assert.deepEqual(at(await restoreFaces(restorer, aligned, { steps: 2, seed: 1, fidelity: 0.5, fidelities: [null, 0, 1] })), [0.4, 0.2, 0.6]);
  assert.equal(needsFlow({ fidelity: 0 }, 3), false, 'all faces at 0: the posterior mean alone, no flow');
  assert.equal(needsFlow({ fidelity: 0, fidelities: [null, 0.3, null] }, 3), true);
  assert.equal(seen.length, 3);
});
