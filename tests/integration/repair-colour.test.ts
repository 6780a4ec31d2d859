// Fade and colour-cast correction: casts removed on colour prints, tone kept on toned and gray ones.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { decodePhoto, detectTone } from '../../src-main/worker/pipeline/decode.ts';
import type { Raster } from '../../src-main/worker/pipeline/raster.ts';
import { castOf, correctColour } from '../../src-main/worker/pipeline/repair/colour.ts';
import { sharedPath } from '../helpers/shared.ts';

const fixtures = sharedPath('fixtures');

test('a faded print with a cyan cast gets its neutral greys and contrast back', { skip: fixtures.skip }, async () => {
  const p = await decodePhoto(path.join(fixtures.path, 'photos', 'scan-family-3.png'));
  assert.equal(p.tone.kind, 'colour');
  const r = correctColour(p.image, p.tone);
  assert.equal(r.corrected, true);
  // Measured: 12.7 -> 7.0.
  assert.ok(r.castAfter < 0.7 * r.castBefore, `cast ${r.castBefore.toFixed(1)} -> ${r.castAfter.toFixed(1)}`);
  // The cyan cast: red was lifted least in the shadows; after, the darkest greys are near neutral.
  const [red, green, blue] = r.levels ?? [];
  assert.ok(green[0] > red[0] + 20 && blue[0] > red[0] + 20, JSON.stringify(r.levels));
});

test('the same cast put on a clean photo is taken off again', { skip: fixtures.skip }, async () => {
  const p = await decodePhoto(path.join(fixtures.path, 'aligned', 'face-0143.png'));
  const faded: Raster = { ...p.image, data: p.image.data.slice() };
  // Fade: contrast to 60 %, red shadows lifted less than green and blue (a cyan cast).
  const lift = [20, 60, 55];
  for (let i = 0; i < faded.data.length; i++) faded.data[i] = Math.round(lift[i % 3] + 0.6 * faded.data[i]);
  const tone = detectTone(faded);
  const r = correctColour(faded, tone);
  assert.equal(r.corrected, true);
  let before = 0, after = 0;
  for (let i = 0; i < faded.data.length; i++) {
    before += Math.abs(faded.data[i] - p.image.data[i]);
    after += Math.abs(r.image.data[i] - p.image.data[i]);
  }
  // Measured 25.5 -> 12.3 (the clean photo itself does not span its full range).
  assert.ok(after < 0.55 * before, `mean error to the clean photo ${(before / faded.data.length).toFixed(1)} -> ${(after / faded.data.length).toFixed(1)}`);
  assert.ok(castOf(r.image) < castOf(faded));
});

test('sepia and black-and-white prints keep their tone', { skip: fixtures.skip }, async () => {
  for (const name of ['woman-scratched-1.png', 'boy-cracked-1.png']) {
    const p = await decodePhoto(path.join(fixtures.path, 'old', name));
    const r = correctColour(p.image, p.tone);
    assert.equal(r.corrected, false, `${name}: ${p.tone.kind}`);
    assert.equal(r.image, p.image);
  }
  const grayData = new Uint8Array(64 * 64 * 3).map((_, i) => Math.floor(i / 3) % 200);
  const gray: Raster = { width: 64, height: 64, depth: 8, data: grayData };
  assert.equal(correctColour(gray, detectTone(gray)).corrected, false);
});
