import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { decodePhoto, describeDecodeError } from '../../src-main/worker/pipeline/decode.ts';

test('an iPhone HEIC (HEVC) photo gets a message the user can act on', () => {
  // libvips' words for HEVC in the prebuilt sharp (lovell/sharp-libvips#233, lovell/sharp#4506).
  for (const msg of [
    'heif: Unsupported feature: Unsupported codec (4.3000)',
    'IMG_0001.HEIC: heif: Error while loading plugin: Support for this compression format has not been built in (11.6003)\n',
  ]) {
    assert.match(describeDecodeError(new Error(msg)), /HEIC photos .* convert it to JPEG/);
  }
  assert.match(describeDecodeError(new Error('Input file has corrupt header\nmore')), /^the file is damaged and cannot be read: /);
});

test('AVIF (the other HEIF flavour) decodes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'heirloom-avif-'));
  try {
    const file = path.join(dir, 'scan.avif');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 120, g: 90, b: 60 } } }).avif().toFile(file);
    const photo = await decodePhoto(file);
    assert.deepEqual([photo.image.width, photo.image.height], [64, 48]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A baseline (row by row) JPEG of a diagonal gradient: a cut removes whole rows at the bottom. */
async function gradientJpeg(w: number, h: number): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.fill((x * 7 + y * 13) % 256, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 95, progressive: false }).toBuffer();
}

test('a JPEG cut short is decoded as far as it goes, and says how much is missing', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'heirloom-trunc-'));
  try {
    // A baseline JPEG of a gradient, cut at 60% of its bytes: the rows it never got are missing.
    const [width, height] = [96, 128];
    const whole = await gradientJpeg(width, height);
    const file = path.join(dir, 'cut.jpg');
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
    await assert.rejects(sharp(file).raw().toBuffer(), /premature end/, 'the strict decoder refuses it');

    const photo = await decodePhoto(file);
    assert.deepEqual([photo.image.width, photo.image.height], [width, height]);
    const m = /the bottom (\d+)% of the picture could not be read/.exec(photo.damage ?? '');
    assert.ok(m, `damage described: ${photo.damage}`);
    // About 40% of the bytes are gone; JPEG spends them evenly on this gradient.
    const pct = Number(m[1]);
    assert.ok(pct >= 25 && pct <= 55, `${pct}% missing`);
    // The rows that were read are the picture's.
    const top = photo.image.data[(10 * width + 10) * 3];
    assert.ok(Math.abs(top - ((10 * 7 + 10 * 13) % 256)) < 12, `a read pixel keeps its value (${top})`);

    const intact = path.join(dir, 'whole.jpg');
    writeFileSync(intact, whole);
    assert.equal((await decodePhoto(intact)).damage, undefined, 'a whole file has no damage');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a JPEG that ends before any of its picture stays unreadable, with a reason', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'heirloom-trunc-'));
  try {
    const width = 64;
    const height = 64;
    const whole = await sharp({ create: { width, height, channels: 3, background: { r: 90, g: 120, b: 60 } } }).jpeg({ progressive: false }).toBuffer();
    // Cut right after the start-of-scan header: every row would be the decoder's flat fill.
    const sos = whole.indexOf(Buffer.from([0xff, 0xda]));
    const file = path.join(dir, 'empty.jpg');
    writeFileSync(file, whole.subarray(0, sos + 14));
    await assert.rejects(decodePhoto(file), /empty\.jpg: cannot (decode|read) image/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a JPEG of which less than a quarter can be read is unreadable, and says how much was there', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'heirloom-trunc-'));
  try {
    const [width, height] = [96, 128];
    const whole = await gradientJpeg(width, height);
    // A tenth of the bytes: a few rows of picture, the rest would be flat grey.
    const file = path.join(dir, 'sliver.jpg');
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.1)));
    await assert.rejects(decodePhoto(file), (err: Error) => {
      const m = /sliver\.jpg: cannot decode image \(the file ends early: only the top (\d+)% of the picture could be read\); copy it again/.exec(err.message);
      assert.ok(m, err.message);
      assert.ok(Number(m[1]) >= 1 && Number(m[1]) < 25, `${m[1]}% read`);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
