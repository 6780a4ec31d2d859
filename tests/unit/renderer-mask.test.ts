// The viewer's damage-mask brush and veil (src-renderer/lib/mask.ts), without a DOM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brushRadius, maskFromRgba, maskRgba, paintDisc, paintStroke, veilRgba } from '../../src-renderer/lib/mask.ts';

test('a disc covers the pixels whose centres lie within its radius, clipped to the photo', () => {
  const m = new Uint8Array(10 * 10);
  assert.equal(paintDisc(m, 10, 10, 5, 5, 1, 255), true);
  assert.deepEqual([...m].flatMap((v, i) => (v ? [i] : [])), [44, 45, 54, 55]);
  assert.equal(paintDisc(m, 10, 10, 5, 5, 1, 255), false, 'painting again changes nothing');
  const edge = new Uint8Array(10 * 10);
  paintDisc(edge, 10, 10, 0, 0, 3, 255);
  assert.equal(edge.filter((v) => v).length, 8, 'the quarter disc inside the photo');
});

test('a stroke leaves no gap, and erasing takes it away again', () => {
  const m = new Uint8Array(100 * 20);
  paintStroke(m, 100, 20, [5, 10], [95, 10], 2, 255);
  for (let x = 5; x < 95; x++) assert.equal(m[10 * 100 + x], 255, `pixel ${x} on the stroke`);
  assert.equal(m[0], 0);
  paintStroke(m, 100, 20, [0, 10], [100, 10], 4, 0);
  assert.equal(m.filter((v) => v).length, 0);
});

test('mask <-> RGBA, the veil, and the brush size in photo pixels', () => {
  const m = new Uint8Array([0, 255, 255, 0]);
  const rgba = maskRgba(m);
  assert.deepEqual([...rgba.slice(0, 8)], [0, 0, 0, 255, 255, 255, 255, 255]);
  assert.deepEqual(maskFromRgba(rgba, 2, 2), m);
  const veil = veilRgba(m);
  assert.equal(veil[3], 0, 'kept pixels are clear');
  assert.ok(veil[4] === 255 && veil[7] > 0, 'repaired pixels are red');
  assert.equal(brushRadius(8, 0.5), 4);
  assert.equal(brushRadius(8, 0.01), 0.5);
});
