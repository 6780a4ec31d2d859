// The synthetic-damage generator and the repair metrics, checked on cases with known answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Raster } from '../../src-main/worker/pipeline/raster.ts';
import { dilateMask, repairMetrics } from '../helpers/damage-metrics.ts';
import { drawDamage } from '../helpers/synthetic-damage.ts';

function gradient(width: number, height: number): Raster {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(64 + ((x + y) % 128), 3 * (y * width + x), 3 * (y * width + x) + 3);
  return { width, height, depth: 8, data };
}

test('the generator changes exactly the pixels its alpha names, deterministically', () => {
  const clean = gradient(300, 200);
  const a = drawDamage(clean, { seed: 7 });
  const b = drawDamage(clean, { seed: 7 });
  assert.deepEqual(a.damaged.data, b.damaged.data);
  let changed = 0, covered = 0;
  for (let i = 0; i < 300 * 200; i++) {
    const differs = [0, 1, 2].some((c) => a.damaged.data[3 * i + c] !== clean.data[3 * i + c]);
    if (differs) changed++;
    if (a.alpha[i] > 0) covered++;
    if (a.alpha[i] === 0) assert.equal(differs, false, `pixel ${i} changed outside the alpha`);
  }
  assert.ok(covered > 300, `some damage drawn (${covered} px)`);
  assert.ok(changed > 0.8 * covered, 'most covered pixels visibly changed');
  assert.ok(covered < 0.1 * 300 * 200, 'damage stays a small part of the photo');
  const c = drawDamage(clean, { seed: 8 });
  assert.notDeepEqual(c.alpha, a.alpha, 'another seed draws other damage');
});

test('metrics: a perfect mask and repair, no repair, and a mask that flags everything', () => {
  const clean = gradient(120, 80);
  const syn = drawDamage(clean, { seed: 3, scratches: 2, cracks: 1, hairs: 1, specks: 10 });
  const truth = new Uint8Array(120 * 80).map((_, i) => (syn.alpha[i] > 0 ? 255 : 0));
  const perfect = repairMetrics(clean, syn.damaged, clean, syn.alpha, truth);
  assert.equal(perfect.recall, 1);
  assert.equal(perfect.precision, 1);
  assert.equal(perfect.precisionStrict, 1);
  assert.equal(perfect.psnrRepaired, Infinity);
  assert.equal(perfect.unchangedAway, 1);

  const none = repairMetrics(clean, syn.damaged, syn.damaged, syn.alpha, new Uint8Array(120 * 80));
  assert.equal(none.recall, 0);
  assert.equal(none.psnrGain, 0);
  assert.equal(none.flagged, 0);

  const all = repairMetrics(clean, syn.damaged, syn.damaged, syn.alpha, new Uint8Array(120 * 80).fill(255));
  assert.equal(all.recall, 1);
  assert.equal(all.flagged, 1);
  assert.ok(all.precision < 0.5);
});

test('dilateMask grows a point into a square', () => {
  const m = new Uint8Array(25);
  m[12] = 1;
  const d = dilateMask(m, 5, 5, 1);
  assert.deepEqual([...d], [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
});
