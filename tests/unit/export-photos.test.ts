import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { exportPhotos } from '../../src-main/export/export-photos.ts';

/** A small synthetic photo: a horizontal gradient with a bright square (a "face"). */
async function makePhoto(file: string, width: number, height: number, brighten = 0): Promise<void> {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const v = Math.round((x / (width - 1)) * 200);
      const face = x > width / 3 && x < (2 * width) / 3 && y > height / 3 && y < (2 * height) / 3;
      px[i] = px[i + 1] = px[i + 2] = Math.min(255, (face ? 230 : v) + brighten);
    }
  }
  await sharp(px, { raw: { width, height, channels: 3 } }).toFile(file);
}

test('export copies restored photos with pairs at one scale, and never overwrites', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-export-'));
  try {
    const original = path.join(dir, 'Grandma 1950.jpg');
    const restoredDir = path.join(dir, 'batch');
    mkdirSync(restoredDir);
    const restored = path.join(restoredDir, 'Grandma 1950.restored.png');
    await makePhoto(original, 120, 90);
    await makePhoto(restored, 240, 180, 20); // restored at 2x
    writeFileSync(`${restored}.json`, JSON.stringify({ format: 'heirloom-sidecar', version: 1, settings: { quality: 80 }, output: { image: 'x', pairs: [] } }));
    const folder = path.join(dir, 'share');
    mkdirSync(folder);

    const first = await exportPhotos({ photos: [{ photoId: 1, original, restored }], pairs: 'side-by-side', folder });
    assert.deepEqual(first.failed, []);
    assert.deepEqual(first.written.sort(), ['Grandma 1950.before-after.png', 'Grandma 1950.restored.png', 'Grandma 1950.restored.png.json']);
    const sidecar = JSON.parse(readFileSync(path.join(folder, 'Grandma 1950.restored.png.json'), 'utf8'));
    assert.deepEqual(sidecar.output, { image: 'Grandma 1950.restored.png', pairs: ['Grandma 1950.before-after.png'] });

    // Both halves at the restored photo's scale: 240x180 each, a thin divider between.
    const pair = path.join(folder, 'Grandma 1950.before-after.png');
    const meta = await sharp(pair).metadata();
    const gap = meta.width! - 2 * 240;
    assert.ok(gap >= 2 && gap <= 6, `divider ${gap}px`);
    assert.equal(meta.height, 180);
    const right = await sharp(pair).extract({ left: 240 + gap, top: 0, width: 240, height: 180 }).raw().toBuffer();
    const after = await sharp(restored).raw().toBuffer();
    assert.ok(right.equals(after), 'right half is the restored photo, unscaled');
    const left = await sharp(pair).extract({ left: 0, top: 0, width: 240, height: 180 }).removeAlpha().raw().toBuffer();
    // The left half is the original upscaled 2x: its gradient spans the full half-width.
    const at = (buf: Buffer, x: number, y: number) => buf[(y * 240 + x) * 3];
    assert.ok(Math.abs(at(left, 10, 10) - Math.round((5 / 119) * 200)) <= 6, `left edge ${at(left, 10, 10)}`);
    assert.ok(Math.abs(at(left, 230, 10) - Math.round((115 / 119) * 200)) <= 6, `right edge ${at(left, 230, 10)}`);
    assert.ok(Math.abs(at(left, 120, 90) - 230) <= 6, 'the square sits in the middle: same geometry');

    // Exporting again: a second group of names, the first files untouched.
    const before = readFileSync(path.join(folder, 'Grandma 1950.restored.png'));
    const second = await exportPhotos({ photos: [{ photoId: 1, original, restored }], pairs: 'files', folder });
    assert.deepEqual(second.written.sort(), [
      'Grandma 1950 (2).after.png',
      'Grandma 1950 (2).before.png',
      'Grandma 1950 (2).restored.png',
      'Grandma 1950 (2).restored.png.json',
    ]);
    assert.ok(readFileSync(path.join(folder, 'Grandma 1950.restored.png')).equals(before));
    assert.ok(!readdirSync(folder).some((n) => n.startsWith('.')), 'no temporary files left');

    // A missing restored file fails alone.
    const third = await exportPhotos({
      photos: [
        { photoId: 2, original, restored: path.join(restoredDir, 'gone.png') },
        { photoId: 1, original, restored },
      ],
      pairs: 'none',
      folder,
    });
    assert.equal(third.failed.length, 1);
    assert.match(third.failed[0].error, /missing/);
    assert.ok(third.written.includes('Grandma 1950 (3).restored.png'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pair labels draw readable text on a dark tag in the corner only', async () => {
  const { drawLabel } = await import('../../src-main/pipeline/pairs.ts');
  for (const depth of [8, 16] as const) {
    const width = 400;
    const height = 300;
    const max = depth === 16 ? 65535 : 255;
    const data = depth === 16 ? new Uint16Array(width * height * 3) : new Uint8Array(width * height * 3);
    data.fill(Math.round(max / 2));
    const img = { width, height, depth, data };
    await drawLabel(img, 'After', 200, height);
    const at = (x: number, y: number) => data[(y * width + x) * 3];
    let bright = 0;
    let dark = 0;
    for (let y = 0; y < 30; y++) {
      for (let x = 200; x < 300; x++) {
        if (at(x, y) > max * 0.8) bright++;
        if (at(x, y) < max * 0.3) dark++;
      }
    }
    assert.ok(bright > 20, `text pixels (${bright}) at ${depth} bit`);
    assert.ok(dark > 500, `tag pixels (${dark}) at ${depth} bit`);
    assert.equal(at(199, 5), Math.round(max / 2), 'left of the half untouched');
    assert.equal(at(200, 200), Math.round(max / 2), 'below the tag untouched');
  }
});
