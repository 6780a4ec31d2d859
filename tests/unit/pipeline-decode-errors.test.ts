import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
    assert.match(describeDecodeError(new Error(msg)), /HEIC photos .* convert them to JPEG/);
  }
  assert.equal(describeDecodeError(new Error('Input file has corrupt header\nmore')), 'Input file has corrupt header');
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
