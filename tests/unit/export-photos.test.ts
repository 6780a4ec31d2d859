import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { exportPhoto as exportWith, type ExportRequest } from '../../src-main/export/export-photos.ts';
import { writePairAtScale } from '../../src-main/worker/export-pair.ts';

/** The export with the worker's own pair writer, in this process. */
const exportPhoto = (req: ExportRequest) => exportWith(req, writePairAtScale);
import { appExport } from '../../src-main/services/export-port.ts';

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

/** A temp dir with an original (120x90), a 2x restored PNG and its sidecar in `batch/`, and an empty `share/`. */
async function setup(): Promise<{ dir: string; original: string; restored: string; batch: string; folder: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-export-'));
  const original = path.join(dir, 'Grandma 1950.jpg');
  const batch = path.join(dir, 'batch');
  mkdirSync(batch);
  const restored = path.join(batch, 'Grandma 1950.restored.png');
  await makePhoto(original, 120, 90);
  await makePhoto(restored, 240, 180, 20); // restored at 2x
  writeFileSync(`${restored}.json`, JSON.stringify({ format: 'heirloom-sidecar', version: 1, settings: { quality: 80 }, output: { image: 'x', pairs: [] } }));
  const folder = path.join(dir, 'share');
  mkdirSync(folder);
  return { dir, original, restored, batch, folder };
}

const names = (files: string[]) => files.map((f) => path.basename(f)).sort();

test('export copies a restored photo with its sidecar and a pair at one scale, and never overwrites', async () => {
  const { dir, original, restored, folder } = await setup();
  try {
    const first = await exportPhoto({ original, restored, pairs: 'side-by-side', folder });
    assert.ok(first.every((f) => path.isAbsolute(f) && path.dirname(f) === folder), 'absolute paths in the export folder');
    assert.deepEqual(names(first), ['Grandma 1950.before-after.png', 'Grandma 1950.restored.png', 'Grandma 1950.restored.png.json']);
    const sidecar = JSON.parse(readFileSync(path.join(folder, 'Grandma 1950.restored.png.json'), 'utf8'));
    assert.deepEqual(sidecar.output, { image: 'Grandma 1950.restored.png', pairs: ['Grandma 1950.before-after.png'] });
    assert.deepEqual(sidecar.settings, { quality: 80 }, 'the rest of the sidecar is kept');

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
    const kept = readFileSync(path.join(folder, 'Grandma 1950.restored.png'));
    const second = await exportPhoto({ original, restored, pairs: 'files', folder });
    assert.deepEqual(names(second), [
      'Grandma 1950 (2).after.png',
      'Grandma 1950 (2).before.png',
      'Grandma 1950 (2).restored.png',
      'Grandma 1950 (2).restored.png.json',
    ]);
    assert.ok(readFileSync(path.join(folder, 'Grandma 1950.restored.png')).equals(kept));
    assert.ok(readFileSync(path.join(folder, 'Grandma 1950 (2).after.png')).equals(readFileSync(restored)), 'the after file is the restored file');
    assert.equal((await sharp(path.join(folder, 'Grandma 1950 (2).before.png')).metadata()).width, 240, 'the before file at the restored scale');
    assert.ok(!readdirSync(folder).some((n) => n.startsWith('.')), 'no temporary files left');

    // Without a sidecar and without pairs: just the photo.
    rmSync(`${restored}.json`);
    const third = await exportPhoto({ original, restored, pairs: 'none', folder });
    assert.deepEqual(names(third), ['Grandma 1950 (3).restored.png']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export into the batch folder adds only the pair next to the restored photo', async () => {
  const { dir, original, restored, batch } = await setup();
  try {
    const restoredBytes = readFileSync(restored);
    const sidecarBytes = readFileSync(`${restored}.json`);
    const written = await exportPhoto({ original, restored, pairs: 'files', folder: batch, quality: 90 });
    assert.deepEqual(written, [restored, path.join(batch, 'Grandma 1950.before.png'), path.join(batch, 'Grandma 1950.after.png')]);
    assert.deepEqual(readdirSync(batch).sort(), ['Grandma 1950.after.png', 'Grandma 1950.before.png', 'Grandma 1950.restored.png', 'Grandma 1950.restored.png.json']);
    assert.ok(readFileSync(restored).equals(restoredBytes), 'the restored file is untouched');
    assert.ok(readFileSync(`${restored}.json`).equals(sidecarBytes), 'its sidecar is untouched');
    const before = await sharp(path.join(batch, 'Grandma 1950.before.png')).metadata();
    assert.deepEqual([before.width, before.height], [240, 180]);

    // Again with the same pairs: nothing new, the same answer.
    const mtime = statSync(path.join(batch, 'Grandma 1950.before.png')).mtimeMs;
    assert.deepEqual(await exportPhoto({ original, restored, pairs: 'files', folder: batch }), written);
    assert.equal(statSync(path.join(batch, 'Grandma 1950.before.png')).mtimeMs, mtime);

    // Only part of a pair present: refused rather than overwritten.
    rmSync(path.join(batch, 'Grandma 1950.after.png'));
    await assert.rejects(exportPhoto({ original, restored, pairs: 'files', folder: batch }), /some of the pair files already exist/);
    assert.ok(!readdirSync(batch).includes('Grandma 1950.after.png'));

    // A different pair mode is added alongside.
    const sbs = await exportPhoto({ original, restored, pairs: 'side-by-side', folder: batch });
    assert.deepEqual(names(sbs), ['Grandma 1950.before-after.png', 'Grandma 1950.restored.png']);

    // Asking for labels rewrites Heirloom's own side-by-side in place with them (a new file, same name).
    const sbsPath = path.join(batch, 'Grandma 1950.before-after.png');
    const plain = readFileSync(sbsPath);
    assert.deepEqual(await exportPhoto({ original, restored, pairs: 'side-by-side', folder: batch, labels: true }), sbs);
    assert.ok(!readFileSync(sbsPath).equals(plain), 'the pair now carries labels');
    assert.equal(readdirSync(batch).filter((n) => n.includes('before-after')).length, 1, 'no second pair');
    assert.ok(!readdirSync(batch).some((n) => n.startsWith('.')), 'no temporary files left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export refuses a restored file that is not a 1x/2x/4x restoration, a missing one and a foreign type, writing nothing', async () => {
  const { dir, original, restored, batch, folder } = await setup();
  try {
    await makePhoto(restored, 300, 180); // 2.5x wide: the original was changed
    await assert.rejects(exportPhoto({ original, restored, pairs: 'side-by-side', folder }), /not a 1x, 2x or 4x restoration of Grandma 1950\.jpg/);
    await assert.rejects(exportPhoto({ original, restored, pairs: 'files', folder: batch }), /not a 1x, 2x or 4x restoration/);
    assert.deepEqual(readdirSync(folder), [], 'nothing left in the export folder');
    assert.deepEqual(readdirSync(batch).sort(), ['Grandma 1950.restored.png', 'Grandma 1950.restored.png.json'], 'nothing added to the batch folder');

    await makePhoto(restored, 480, 360); // 4x is fine
    assert.deepEqual(names(await exportPhoto({ original, restored, pairs: 'side-by-side', folder })), [
      'Grandma 1950.before-after.png',
      'Grandma 1950.restored.png',
      'Grandma 1950.restored.png.json',
    ]);

    await assert.rejects(exportPhoto({ original, restored: path.join(batch, 'gone.restored.png'), pairs: 'none', folder }), /missing/);
    const text = path.join(batch, 'notes.txt');
    writeFileSync(text, 'hello');
    await assert.rejects(exportPhoto({ original, restored: text, pairs: 'none', folder }), /not a restored image/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('side-by-side labels are drawn only when asked', async () => {
  const { dir, original, restored, folder } = await setup();
  try {
    await exportPhoto({ original, restored, pairs: 'side-by-side', folder });
    await exportPhoto({ original, restored, pairs: 'side-by-side', folder, labels: true });
    const plain = await sharp(path.join(folder, 'Grandma 1950.before-after.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const labelled = await sharp(path.join(folder, 'Grandma 1950 (2).before-after.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([labelled.info.width, labelled.info.height], [plain.info.width, plain.info.height]);
    const w = plain.info.width;
    const differs = (x0: number, x1: number, y0: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (plain.data[(y * w + x) * 3] !== labelled.data[(y * w + x) * 3]) n++;
      return n;
    };
    assert.ok(differs(0, 60, 0, 20) > 50, 'a tag on the before half');
    assert.ok(differs(w - 240, w - 180, 0, 20) > 50, 'a tag on the after half');
    assert.equal(differs(0, w, 120, 180), 0, 'the lower part untouched');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the app export (through the worker port) reports a failing photo and goes on with the rest', async () => {
  const { dir, original, restored, batch, folder } = await setup();
  try {
    // The inference process's pair writer, in this process.
    const summary = await appExport(writePairAtScale).run({
      photos: [
        { photoId: 2, original: path.join(dir, 'Gone.jpg'), restored: path.join(batch, 'Gone.restored.png') },
        { photoId: 1, original, restored },
      ],
      pairs: 'side-by-side',
      labels: false,
      folder,
      quality: 90,
    });
    assert.equal(summary.folder, folder);
    assert.deepEqual(summary.failed.map((f) => f.name), ['Gone.jpg']);
    assert.match(summary.failed[0].error, /missing/);
    assert.deepEqual(summary.written, [
      path.join(folder, 'Grandma 1950.restored.png'),
      path.join(folder, 'Grandma 1950.before-after.png'),
      path.join(folder, 'Grandma 1950.restored.png.json'),
      path.join(folder, 'heirloom-export.json'),
      path.join(folder, 'heirloom-export.csv'),
    ]);
    for (const f of summary.written) assert.ok(statSync(f).size > 0, f);
    // What was done, for the user's records: both photos, in order, with the failure's reason.
    const record = JSON.parse(readFileSync(path.join(folder, 'heirloom-export.json'), 'utf8'));
    assert.equal(record.format, 'heirloom-export');
    assert.deepEqual(
      record.photos.map((p: { input: string; outcome: string; outputs: string[] }) => [p.input, p.outcome, p.outputs]),
      [
        ['Gone.jpg', 'failed', []],
        ['Grandma 1950.jpg', 'exported', ['Grandma 1950.restored.png', 'Grandma 1950.before-after.png', 'Grandma 1950.restored.png.json']],
      ],
    );
    const csv = readFileSync(path.join(folder, 'heirloom-export.csv'), 'utf8').split('\r\n');
    assert.equal(csv[0], 'input,outcome,outputs,error');
    assert.match(csv[1], /^Gone\.jpg,failed,,.*missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pair labels draw readable text on a dark tag in the corner only', async () => {
  const { drawLabel } = await import('../../src-main/worker/pipeline/pairs.ts');
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

test('exporting the same photo again replaces what its earlier export wrote: no " (2)" copies; another photo of that name gets its own', async () => {
  const { dir, original, restored, folder } = await setup();
  try {
    const sidecar = (sha256: string) => JSON.stringify({ format: 'heirloom-sidecar', version: 1, input: { name: 'Grandma 1950.jpg', sha256 }, settings: { quality: 80 }, output: { image: 'x', pairs: [] } });
    writeFileSync(`${restored}.json`, sidecar('a'.repeat(64)));
    const first = await exportPhoto({ original, restored, pairs: 'side-by-side', folder });
    // The photo restored again (other pixels), exported again with another pair mode.
    await makePhoto(restored, 240, 180, 60);
    const again = await exportPhoto({ original, restored, pairs: 'files', folder });
    assert.deepEqual(names(again), ['Grandma 1950.after.png', 'Grandma 1950.before.png', 'Grandma 1950.restored.png', 'Grandma 1950.restored.png.json']);
    assert.ok(readFileSync(path.join(folder, 'Grandma 1950.restored.png')).equals(readFileSync(restored)), 'the new restoration replaced the old copy');
    assert.ok(names(first).includes('Grandma 1950.before-after.png'));
    assert.ok(!readdirSync(folder).some((n) => n.includes('(2)')), `no (2) copies: ${readdirSync(folder).join(', ')}`);

    // A different photo with the same name (another album's "Grandma 1950.jpg"): never over the first one's files.
    writeFileSync(`${restored}.json`, sidecar('b'.repeat(64)));
    const other = await exportPhoto({ original, restored, pairs: 'none', folder });
    assert.deepEqual(names(other), ['Grandma 1950 (2).restored.png', 'Grandma 1950 (2).restored.png.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
