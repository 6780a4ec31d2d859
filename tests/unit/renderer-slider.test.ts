import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterClipPath, clampPercent, dividerX, percentAfterKey, percentFromPointer } from '../../src-renderer/lib/slider.ts';

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

test('clampPercent, the divider position over the photo and the clip of the after layer', () => {
  assert.equal(clampPercent(Number.NaN), 50);
  assert.equal(clampPercent(-3), 0);
  const span = { left: 200, width: 400 }; // a portrait photo fitted in the middle of the stage
  assert.equal(dividerX(0, span), 200);
  assert.equal(dividerX(25, span), 300);
  assert.equal(dividerX(140, span), 600);
  // The pointer maps back through the same span.
  assert.equal(percentFromPointer(10 + dividerX(25, span), 10 + span.left, span.width), 25);
  assert.equal(afterClipPath(300), 'inset(0 0 0 300px)');
  assert.equal(afterClipPath(12.3456), 'inset(0 0 0 12.35px)');
  assert.equal(afterClipPath(-5), 'inset(0 0 0 0px)');
});
