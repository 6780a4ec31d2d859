import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxPercent, clampView, dragBox, FIT_VIEW, fitRect, MAX_SCALE, panBy, stageToPhoto, visibleSpan, zoomAt, zoomPercent } from '../../src-renderer/lib/viewport.ts';

const stage = { width: 800, height: 600 };
// A 2:1 landscape photo fits the width: 800x400, centred vertically.
const fit = fitRect(stage, { width: 2000, height: 1000 });

test('fitRect contains and centres the photo', () => {
  assert.deepEqual(fit, { left: 0, top: 100, width: 800, height: 400 });
  assert.deepEqual(fitRect(stage, { width: 300, height: 600 }), { left: 250, top: 0, width: 300, height: 600 });
  assert.deepEqual(fitRect({ width: 0, height: 10 }, { width: 5, height: 5 }), { left: 0, top: 0, width: 0, height: 0 });
});

test('zoomPercent is the photo pixels per screen pixel, not the zoom step', () => {
  // The case: a 400 px photo fitted into a 990 px stage reads 248%, not 100%.
  const small = { width: 400, height: 300 };
  assert.equal(zoomPercent(fitRect({ width: 990, height: 800 }, small), small, FIT_VIEW), 248);
  assert.equal(zoomPercent(fit, { width: 2000, height: 1000 }, FIT_VIEW), 40);
  assert.equal(zoomPercent(fit, { width: 2000, height: 1000 }, { scale: 2.5, x: 0, y: 0 }), 100);
  assert.equal(zoomPercent({ left: 0, top: 0, width: 0, height: 0 }, small, FIT_VIEW), 0);
});

test('zoomAt keeps the photo point under the pointer fixed', () => {
  const px = 200;
  const py = 250;
  // Photo-local coordinate under the pointer before zooming (scale 1, no translation).
  const u = (px - fit.left - FIT_VIEW.x) / FIT_VIEW.scale;
  const v = (py - fit.top - FIT_VIEW.y) / FIT_VIEW.scale;
  const z = zoomAt(FIT_VIEW, 2, px, py, stage, fit);
  assert.equal(z.scale, 2);
  assert.ok(Math.abs(fit.left + z.x + u * z.scale - px) < 1e-9);
  assert.ok(Math.abs(fit.top + z.y + v * z.scale - py) < 1e-9);
});

test('zoom is limited and zooming out returns to the fitted view', () => {
  let v = zoomAt(FIT_VIEW, 1000, 400, 300, stage, fit);
  assert.equal(v.scale, MAX_SCALE);
  v = zoomAt(v, 1 / 10000, 10, 10, stage, fit);
  assert.deepEqual(v, { scale: 1, x: 0, y: 0 });
});

test('panning stops at the photo edges and keeps a small axis centred', () => {
  const z = zoomAt(FIT_VIEW, 2, 400, 300, stage, fit); // 1600x800 photo over an 800x600 stage
  const far = panBy(z, 10_000, 10_000, stage, fit);
  // Left edge meets the stage's left edge; top edge meets the top.
  assert.equal(fit.left + far.x, 0);
  assert.equal(fit.top + far.y, 0);
  const other = panBy(z, -10_000, -10_000, stage, fit);
  assert.equal(fit.left + other.x + fit.width * 2, stage.width);
  assert.equal(fit.top + other.y + fit.height * 2, stage.height);
  // At 1.2x the photo is 480 high (< 600): vertical pan is ignored, it stays centred.
  const small = clampView({ scale: 1.2, x: 0, y: 999 }, stage, fit);
  assert.equal(fit.top + small.y + (fit.height * 1.2) / 2, stage.height / 2);
});

test('boxPercent converts a face box to overlay percentages', () => {
  assert.deepEqual(boxPercent([100, 50, 200, 100], { width: 1000, height: 500 }), { left: 10, top: 10, width: 20, height: 20 });
  assert.deepEqual(boxPercent([1, 2, 3, 4], { width: 0, height: 0 }), { left: 0, top: 0, width: 0, height: 0 });
});

test('visibleSpan is the photo between its letterbox bars, and the whole stage when zoomed in', () => {
  const portrait = fitRect(stage, { width: 300, height: 600 }); // 300 wide, centred at 250..550
  assert.deepEqual(visibleSpan(stage, portrait, FIT_VIEW), { left: 250, width: 300 });
  const z = zoomAt(FIT_VIEW, 4, 400, 300, stage, portrait); // 1200 wide over an 800 stage
  assert.deepEqual(visibleSpan(stage, portrait, z), { left: 0, width: 800 });
  assert.deepEqual(visibleSpan({ width: 0, height: 0 }, portrait, FIT_VIEW), { left: 0, width: 0 });
});

test('stageToPhoto inverts the fit and the zoom/pan; dragBox spans a drag in any direction, clipped to the photo', () => {
  const image = { width: 2000, height: 1000 };
  const stage = { width: 1000, height: 800 };
  const fit = fitRect(stage, image); // 1000x500 at top 150
  assert.deepEqual(stageToPhoto(0, 150, fit, FIT_VIEW, image), [0, 0]);
  assert.deepEqual(stageToPhoto(500, 400, fit, FIT_VIEW, image), [1000, 500]);
  // Zoomed 4x about the stage centre: the centre stays the photo's centre, a point 100 px right is 50 photo px right.
  const zoomed = zoomAt(FIT_VIEW, 4, 500, 400, stage, fit);
  assert.deepEqual(stageToPhoto(500, 400, fit, zoomed, image), [1000, 500]);
  assert.deepEqual(stageToPhoto(600, 400, fit, zoomed, image), [1050, 500]);
  assert.deepEqual(dragBox([300.4, 200], [100, 260.6], image), [100, 200, 200, 61]);
  assert.deepEqual(dragBox([-50, -20], [40, 30], image), [0, 0, 40, 30]);
  assert.deepEqual(dragBox([1990, 990], [2100, 1200], image), [1990, 990, 10, 10]);
  assert.equal(dragBox([-50, 10], [-10, 40], image), null);
  assert.equal(dragBox([10, 10], [10, 40], image), null);
});
