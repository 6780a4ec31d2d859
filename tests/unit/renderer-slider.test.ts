import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterClipPath, clampPercent, percentAfterKey, percentFromPointer } from '../../src-renderer/lib/slider.ts';

test('percentFromPointer maps the stage width to 0..100 and clamps outside it', () => {
  assert.equal(percentFromPointer(100, 100, 400), 0);
  assert.equal(percentFromPointer(300, 100, 400), 50);
  assert.equal(percentFromPointer(500, 100, 400), 100);
  assert.equal(percentFromPointer(900, 100, 400), 100);
  assert.equal(percentFromPointer(0, 100, 400), 0);
  assert.equal(percentFromPointer(10, 0, 0), 50, 'a zero-width stage keeps the middle');
});

test('percentAfterKey steps, jumps and ignores other keys', () => {
  assert.equal(percentAfterKey(50, 'ArrowLeft'), 49);
  assert.equal(percentAfterKey(50, 'ArrowRight', true), 60);
  assert.equal(percentAfterKey(95, 'PageUp'), 100);
  assert.equal(percentAfterKey(3, 'ArrowDown', true), 0);
  assert.equal(percentAfterKey(42, 'Home'), 0);
  assert.equal(percentAfterKey(42, 'End'), 100);
  assert.equal(percentAfterKey(42, 'Enter'), null);
});

test('clampPercent and the clip path of the after layer', () => {
  assert.equal(clampPercent(Number.NaN), 50);
  assert.equal(clampPercent(-3), 0);
  assert.equal(afterClipPath(25), 'inset(0 0 0 25%)');
  assert.equal(afterClipPath(140), 'inset(0 0 0 100%)');
});
