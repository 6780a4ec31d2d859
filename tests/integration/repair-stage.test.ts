// The repair stage's parts on small made-up prints with known answers (OpenCV.js, no fixtures).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Raster } from '../../src-main/worker/pipeline/raster.ts';
import { detectDamage } from '../../src-main/worker/pipeline/repair/detect-damage.ts';
import { inpaintMasked } from '../../src-main/worker/pipeline/repair/inpaint.ts';

/** A smooth print: a soft horizontal ramp (no texture, nothing to flag). */
function smooth(width: number, height: number, depth: 8 | 16 = 8): Raster {
  const max = depth === 16 ? 65535 : 255;
  const data = depth === 16 ? new Uint16Array(width * height * 3) : new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.round(max * (0.3 + (0.3 * x) / width));
      data.fill(v, 3 * (y * width + x), 3 * (y * width + x) + 3);
    }
  }
  return { width, height, depth, data };
}

/** Paint a 2 px diagonal scratch of `value` (0..1 of full scale); returns its pixel indices. */
function scratch(img: Raster, value: number): number[] {
  const max = img.depth === 16 ? 65535 : 255;
  const idx: number[] = [];
  for (let x = 20; x < img.width - 20; x++) {
    const y = Math.round(30 + 0.4 * x);
    for (const yy of [y, y + 1]) {
      const i = yy * img.width + x;
      idx.push(i);
      img.data.fill(Math.round(value * max), 3 * i, 3 * i + 3);
    }
  }
  return idx;
}

test('a bright scratch on a smooth print is found and filled; nothing else changes', async () => {
  const clean = smooth(320, 240);
  const img = smooth(320, 240);
  const line = scratch(img, 0.97);
  const det = await detectDamage(img);
  const found = line.filter((i) => det.mask[i] > 0).length / line.length;
  assert.ok(found > 0.95, `scratch found: ${found}`);
  assert.ok(det.pixels < 4 * line.length, `mask stays near the scratch (${det.pixels} px for ${line.length})`);
  const out = await inpaintMasked(img, det.mask);
  let worst = 0;
  for (let i = 0; i < 320 * 240; i++) {
    if (det.mask[i] === 0) {
      for (let c = 0; c < 3; c++) assert.equal(out.data[3 * i + c], img.data[3 * i + c]);
    } else worst = Math.max(worst, Math.abs(out.data[3 * i] - clean.data[3 * i]));
  }
  assert.ok(worst <= 6, `filled pixels within 6 levels of the clean print (worst ${worst})`);
});

test('a smooth print has no damage', async () => {
  const det = await detectDamage(smooth(320, 240));
  assert.equal(det.pixels, 0);
});

test('a bright dot is dust, unless it sits in an eye', async () => {
  const img = smooth(320, 240);
  for (let y = 100; y < 103; y++) for (let x = 150; x < 153; x++) img.data.fill(250, 3 * (y * 320 + x), 3 * (y * 320 + x) + 3);
  const bare = await detectDamage(img);
  assert.ok(bare.specks >= 1 && bare.mask[101 * 320 + 151] > 0, 'the dot is a speck');
  const withEye = await detectDamage(img, { eyes: [{ x: 152, y: 100, radius: 8 }] });
  assert.equal(withEye.mask[101 * 320 + 151], 0, 'a catchlight stays');
});

test('16-bit photos are inpainted per channel at full depth', async () => {
  const clean = smooth(200, 160, 16);
  const img = smooth(200, 160, 16);
  const line = scratch(img, 0.02);
  const mask = new Uint8Array(200 * 160);
  for (const i of line) mask[i] = 255;
  const out = await inpaintMasked(img, mask);
  assert.ok(out.data instanceof Uint16Array);
  for (const i of line) assert.ok(Math.abs(out.data[3 * i] - clean.data[3 * i]) < 2000, `pixel ${i}: ${out.data[3 * i]} vs ${clean.data[3 * i]}`);
});

test("the batch step uses the user's mask instead of the detector and reports it", async () => {
  const { mkdtempSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const sharp = (await import('sharp')).default;
  const { PipelineProcessor } = await import('../../src-main/worker/photo-stages.ts');
  const { identityRestorer } = await import('../helpers/pipeline-restorers.ts');
  const { DEFAULT_SETTINGS } = await import('../../src-shared/settings.ts');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-usermask-'));
  const img = smooth(160, 120);
  scratch(img, 0.97);
  const photo = path.join(dir, 'p.png');
  await sharp(img.data, { raw: { width: 160, height: 120, channels: 3 } }).png().toFile(photo);
  // The user's mask: a 20x20 square elsewhere (not the scratch), drawn at half size (resized to the photo).
  const m = Buffer.alloc(80 * 60);
  for (let y = 5; y < 15; y++) for (let x = 50; x < 60; x++) m[y * 80 + x] = 255;
  const mask = path.join(dir, 'mask.png');
  await sharp(m, { raw: { width: 80, height: 60, channels: 1 } }).png().toFile(mask);
  const proc = new PipelineProcessor({ restorer: identityRestorer() });
  const ctx = { signal: new AbortController().signal, onStage: () => {} };
  const settings = { ...DEFAULT_SETTINGS, repair: true };
  const given = await proc.prepare({ path: photo, settings, knownFaces: null, damageMask: mask }, ctx);
  assert.deepEqual(given.repair, { pixels: 400, fraction: 0.020833, lines: 0, specks: 0, mask: 'given' });
  const detected = await proc.prepare({ path: photo, settings, knownFaces: null }, ctx);
  assert.equal(detected.repair?.mask, 'detected');
  assert.ok((detected.repair?.lines ?? 0) >= 1);
  const off = await proc.prepare({ path: photo, settings: { ...settings, repair: false }, knownFaces: null, damageMask: mask }, ctx);
  assert.equal(off.repair, undefined);
});

test('repaired pixels seen from an aligned face (for the consistency guidance to leave out)', async () => {
  const { faceMasks } = await import('../../src-main/worker/pipeline/repair/repair.ts');
  const mask = new Uint8Array(100 * 80);
  for (let x = 10; x < 20; x++) mask[40 * 100 + x] = 255; // a 10 px scratch on row 40
  // photo -> face: scale 2, shift so photo (10, 40) lands at face (0, 20).
  const [m, none] = faceMasks(mask, 100, 80, [[2, 0, -20, 0, 2, -60], [1, 0, -60, 0, 1, -60]], 32);
  assert.ok(m !== null);
  const on = [...m!].flatMap((v, i) => (v ? [[i % 32, Math.floor(i / 32)]] : []));
  assert.deepEqual(new Set(on.map(([, y]) => y)), new Set([20, 21]), 'the row, twice as tall');
  assert.equal(Math.min(...on.map(([x]) => x)), 0);
  assert.equal(Math.max(...on.map(([x]) => x)), 19);
  assert.equal(none, null, 'a face away from the scratch gets no mask');
});
