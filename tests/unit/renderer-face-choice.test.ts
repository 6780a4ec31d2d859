import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeFor, choiceLabel, faceChoice, FACE_CHOICES } from '../../src-renderer/lib/face-choice.ts';

test('a face choice reads back from the face and writes the matching change', () => {
  assert.equal(faceChoice({ include: false, fidelity: 0 }), 'original', 'a skipped face keeps the original whatever its fidelity');
  assert.equal(faceChoice({ include: true, fidelity: null }), 'setting');
  assert.equal(faceChoice({ include: true, fidelity: 0 }), 'faithful');
  assert.equal(faceChoice({ include: true, fidelity: 1 }), 'realistic');
  assert.equal(faceChoice({ include: true, fidelity: 0.4 }), 'custom');
  for (const { value } of FACE_CHOICES) {
    const change = changeFor(value);
    const face = { include: true, fidelity: 0.4, ...change };
    assert.equal(faceChoice(face), value, `${value} round-trips`);
  }
});

test('"As in Settings" says what the setting is now', () => {
  assert.equal(choiceLabel('setting', 1), 'As in Settings (realistic)');
  assert.equal(choiceLabel('setting', 0.35), 'As in Settings (35% realistic)');
  assert.equal(choiceLabel('setting', null), 'As in Settings');
  assert.equal(choiceLabel('original', 1), 'Keep the original');
});
