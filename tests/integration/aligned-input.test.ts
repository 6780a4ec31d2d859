/**
 * Aligned input: a photo that is one face in the FFHQ layout is resized to the model's size and the
 * restored face replaces all of it; a square photo whose detected face sits on the template is
 * recognised (looksAligned), an ordinary square portrait is not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { alignedFaceOf, looksAligned } from '../../src-main/worker/pipeline/aligned-input.ts';
import { faceTransform } from '../../src-main/worker/pipeline/align.ts';
import { decodePhoto } from '../../src-main/worker/pipeline/decode.ts';
import { detectFaces } from '../../src-main/worker/pipeline/detect.ts';
import { type Settings, restorePhoto } from '../../src-main/worker/pipeline/restore-photo.ts';
import { brightenRestorer, identityRestorer, tintRestorer } from '../helpers/pipeline-restorers.ts';
import { sharedPath } from '../helpers/shared.ts';

const aligned = sharedPath('fixtures', 'aligned');
const fixtures = sharedPath('fixtures');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'heirloom-aligned-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const PNG1: Settings = { steps: 1, fidelity: 1, sampler: 'euler', strength: 1, consistency: 0, seed: 0, scale: 1, format: 'png', quality: 92 };

async function rgb(file: string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(file).removeAlpha().raw().toBuffer());
}

test('the aligned face of a 512 photo is exactly the resize (identity at 512, half at 1024)', () => {
  for (const side of [512, 1024, 256]) {
    const t = faceTransform(alignedFaceOf(side, side), 512);
    const k = 512 / side;
    const want = [k, 0, 0, 0, k, 0];
    t.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-9, `${side}: ${t}`));
  }
  assert.throws(() => alignedFaceOf(600, 400, 'wide.jpg'), /wide\.jpg is 600x400: an aligned face must be square/);
});

test('--aligned: the whole photo is the face; every pixel, corners included, comes from the restorer', { skip: aligned.skip }, async () => {
  const src = path.join(aligned.path, 'demo-00000113.png');
  const out = path.join(tmp, 'demo-113.restored.png');
  const r = await restorePhoto(src, out, brightenRestorer(0.2), PNG1, { aligned: 'always' });
  assert.equal(r.alignedInput, 'asked');
  assert.equal(r.faces.length, 1);
  assert.equal(r.timings.detect, 0, 'the detector does not run');
  const [a, b] = [await rgb(src), await rgb(out)];
  // The restorer adds 0.2 (51/255) to every channel (clamped: only pixels it does not clamp count).
  let worst = 0;
  for (let i = 0; i < a.length; i += 3) {
    const ya = 0.299 * a[i] + 0.587 * a[i + 1] + 0.114 * a[i + 2];
    const yb = 0.299 * b[i] + 0.587 * b[i + 1] + 0.114 * b[i + 2];
    if (Math.max(a[i], a[i + 1], a[i + 2]) < 200) worst = Math.max(worst, Math.abs(yb - ya - 51));
  }
  assert.ok(worst <= 3, `luma change differs from +51 by up to ${worst.toFixed(1)} (no feathered border)`);
  // The identity restorer gives the photo back (resize 512 -> 512 is exact).
  const same = path.join(tmp, 'demo-113.same.png');
  await restorePhoto(src, same, identityRestorer(), PNG1, { aligned: 'always' });
  const c = await rgb(same);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - c[i]));
  assert.ok(diff <= 1, `identity round trip differs by ${diff}`);
});

test('--aligned on a 1024 copy: the model gets it at 512 and the output keeps 1024', { skip: aligned.skip }, async () => {
  const big = path.join(tmp, 'big.png');
  await sharp(path.join(aligned.path, 'face-0143.png')).resize(1024, 1024, { kernel: 'lanczos3' }).png().toFile(big);
  const out = path.join(tmp, 'big.restored.png');
  const r = await restorePhoto(big, out, identityRestorer(), PNG1, { aligned: 'always' });
  assert.deepEqual([r.outputWidth, r.outputHeight], [1024, 1024]);
  const meta = await sharp(out).metadata();
  assert.deepEqual([meta.width, meta.height], [1024, 1024]);
});

test('a gray aligned portrait stays gray when restored whole', { skip: aligned.skip }, async () => {
  const out = path.join(tmp, 'gray.restored.png');
  await restorePhoto(path.join(aligned.path, 'gray-portrait.png'), out, tintRestorer(), PNG1, { aligned: 'always' });
  const px = await rgb(out);
  for (let i = 0; i < px.length; i += 3) assert.ok(px[i] === px[i + 1] && px[i + 1] === px[i + 2], `pixel ${i / 3} is not gray`);
});

test('auto: the aligned fixtures are offered as aligned faces; ordinary square portraits are not', { skip: fixtures.skip }, async () => {
  for (const file of readdirSync(aligned.path).filter((f) => f.endsWith('.png'))) {
    const photo = await decodePhoto(path.join(aligned.path, file));
    assert.equal(looksAligned(512, 512, await detectFaces(photo.image)), true, file);
  }
  for (const file of ['photos/portrait-small-1.jpg', 'old/boy-cracked-1.png', 'old/girl-flowers-1.png']) {
    const photo = await decodePhoto(path.join(fixtures.path, file));
    const { width, height } = photo.image;
    assert.equal(width, height, `${file} is square`);
    assert.equal(looksAligned(width, height, await detectFaces(photo.image)), false, file);
  }
  // Through the pipeline: offered, restored whole.
  const r = await restorePhoto(path.join(aligned.path, 'demo-00000137.png'), path.join(tmp, 'auto.png'), identityRestorer(), PNG1, { aligned: 'auto' });
  assert.equal(r.alignedInput, 'offered');
  assert.equal(r.faces.length, 1);
  const r2 = await restorePhoto(path.join(fixtures.path, 'old', 'boy-cracked-1.png'), path.join(tmp, 'auto2.png'), identityRestorer(), PNG1, { aligned: 'auto' });
  assert.equal(r2.alignedInput, undefined);
});
