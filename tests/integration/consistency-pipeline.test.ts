/**
 * Consistency guidance in the pipeline: which faces of a real photo are guided (native size at
 * least 2x below the crop), λ = 0 leaves the restore as it was, a large λ holds the guided faces to
 * the photo's block averages and leaves the others alone. Tiny PMRF test model (formula weights):
 * this checks the wiring and the arithmetic, not image quality.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { consistencyError, consistencyTarget } from '../../src-main/worker/inference/guidance.ts';
import { createPmrfRestorer } from '../../src-main/worker/inference/pmrf-restorer.ts';
import { consistencySpecs, nativeFactor } from '../../src-main/worker/pipeline/consistency.ts';
import { type StageRunner, preparePhoto, restorePrepared } from '../../src-main/worker/pipeline/stages.ts';
import { projectFixtures, sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
const tiny = path.join(projectFixtures, 'pmrf', 'tiny');
const home = mkdtempSync(path.join(os.tmpdir(), 'heirloom-consistency-'));
process.env.HEIRLOOM_HOME = home;
after(() => rmSync(home, { recursive: true, force: true }));
const run: StageRunner = async (_stage, fn) => fn();

test('small faces are held to the photo at large λ; λ = 0 and the larger faces are untouched', { skip: photos.skip }, async () => {
  const S = 128;
  const prepared = await preparePhoto(path.join(photos.path, 'group-office-4.jpg'), run, { faceSize: S });
  const n = prepared.aligned.n;
  const factors = Array.from({ length: n }, (_, i) => nativeFactor(prepared.aligned, i));
  const specs = consistencySpecs(prepared.aligned, prepared.photo.tone.kind);
  assert.deepEqual(
    specs.map((s) => s?.block ?? null),
    factors.map((f) => (f >= 2 ? 2 * Math.floor(f) : null)),
  );
  assert.ok(specs.some((s) => s !== null) && specs.some((s) => s === null), `a mix of guided and unguided faces (factors ${factors.map((f) => f.toFixed(2))})`);
  assert.equal(specs.find((s) => s !== null)?.luma, false, 'a colour photo is compared in colour');
  const mask = new Uint8Array(S * S).fill(1, 0, S);
  assert.equal(consistencySpecs(prepared.aligned, 'gray', [mask, mask, mask, mask]).find((s) => s !== null)?.mask, mask);
  assert.equal(consistencySpecs(prepared.aligned, 'gray').find((s) => s !== null)?.luma, true);

  const restorer = await createPmrfRestorer({ model: tiny, arch: path.join(tiny, 'meta.json'), device: 'cpu', imageSize: S, cacheDir: path.join(home, 'cache') });
  try {
    const options = { steps: 4, seed: 3, fidelity: 1 };
    const plain = await restorePrepared(run, restorer, prepared, options);
    const off = await restorePrepared(run, restorer, prepared, options, { lambda: 0 });
    assert.deepEqual(off.restored, plain.restored, 'λ = 0 is the unguided restore');
    const held = await restorePrepared(run, restorer, prepared, options, { lambda: 1e4 });
    const per = 3 * S * S;
    const face = (a: Float32Array, i: number) => a.subarray(i * per, (i + 1) * per);
    for (let i = 0; i < n; i++) {
      const spec = specs[i];
      if (spec === null) {
        const d = face(held.restored, i).reduce((m, v, j) => Math.max(m, Math.abs(v - face(plain.restored, i)[j])), 0);
        assert.ok(d < 1e-5, `face ${i} (factor ${factors[i].toFixed(2)}) is not guided (max diff ${d})`);
        continue;
      }
      const target = consistencyTarget(face(prepared.aligned.faces, i), S, spec);
      const before = consistencyError(face(plain.restored, i), target);
      const afterErr = consistencyError(face(held.restored, i), target);
      console.log(`face ${i} (factor ${factors[i].toFixed(2)}, blocks of ${spec.block}): ‖A x − y‖ ${before.toFixed(3)} unguided, ${afterErr.toFixed(3)} at λ = 1e4 (after clipping to [0, 1])`);
      assert.ok(afterErr < 0.5 * before, `face ${i}: guidance brings it nearer the photo`);
    }
  } finally {
    await restorer.dispose();
  }
});
