import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, resultKey } from '../../src-main/library/result-key.ts';
import { DEFAULT_SETTINGS, type RestoreSettings } from '../../src-shared/settings.ts';

const face = { box: [1, 2, 30, 40] as [number, number, number, number], score: 0.9, points: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]] as [number, number][] as never, include: true, seed: 5, fidelity: null };

test('the result key is the canonical JSON of settings (no device), face decisions and inputs', () => {
  const key = resultKey(DEFAULT_SETTINGS, [face], { mask: 'ab' });
  const { device: _d, ...rest } = DEFAULT_SETTINGS;
  const faces = [{ box: face.box, fidelity: null, include: true, manual: false, points: face.points, seed: 5, skipped: null }];
  assert.equal(key, canonicalJson({ restore: { ...rest, aligned: 'never' }, faces, inputs: { mask: 'ab' } }));
  assert.deepEqual(Object.keys(JSON.parse(key)), ['faces', 'inputs', 'restore'], 'keys sorted');
});

test('what changes the key and what does not', () => {
  const base = resultKey(DEFAULT_SETTINGS, [face]);
  const other = (s: Partial<RestoreSettings>) => resultKey({ ...DEFAULT_SETTINGS, ...s }, [face]);
  assert.equal(other({ device: 'cpu' }), base, 'the device never matters');
  assert.equal(other({ aligned: 'never' }), base, 'absent aligned = never');
  assert.equal(resultKey({ ...DEFAULT_SETTINGS }, [face]), base, 'an equal settings object, not the same one');
  assert.notEqual(other({ steps: DEFAULT_SETTINGS.steps + 1 }), base);
  assert.notEqual(resultKey(DEFAULT_SETTINGS, [{ ...face, seed: 6 }]), base, 'a new variation');
  assert.notEqual(resultKey(DEFAULT_SETTINGS, [{ ...face, include: false }]), base, 'a skipped face');
  assert.notEqual(resultKey(DEFAULT_SETTINGS, [{ ...face, fidelity: 0 }]), base, 'faithful for this face');
  assert.notEqual(resultKey(DEFAULT_SETTINGS, [face, { ...face, manual: true }]), base, 'a face drawn by hand');
  assert.notEqual(resultKey(DEFAULT_SETTINGS, [face], { mask: 'x' }), base, 'a per-photo input');
  assert.notEqual(resultKey(DEFAULT_SETTINGS, null), base, 'faces detected by the batch itself (CLI) are another key');
  // A skipped face's seed and fidelity change nothing in the picture.
  assert.equal(resultKey(DEFAULT_SETTINGS, [{ ...face, include: false, seed: 9, fidelity: 0.5 }]), resultKey(DEFAULT_SETTINGS, [{ ...face, include: false }]));
  // Key order in the input does not matter.
  const reordered = Object.fromEntries(Object.entries(DEFAULT_SETTINGS).reverse()) as unknown as RestoreSettings;
  assert.equal(resultKey(reordered, [face]), base);
});
