/**
 * The regression corpus of issue 14 (inputs a new user might feed the CLI), generated here, never
 * committed: the real `heirloom restore` in a child process with the tiny PMRF test model.
 * A photo whose output would be too large is written at a lower scale (and the user told which),
 * one the format cannot hold fails alone with what to do, and the rest of the batch is restored.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { projectFixtures, repoRoot } from '../helpers/shared.ts';
import { DISPLAY_MAX_PIXELS, writeDisplayCopy } from '../../src-main/worker/media.ts';
import { MAX_OUTPUT_PIXELS } from '../../src-main/worker/pipeline/output-plan.ts';
import { DEFAULT_MAX_PIXELS } from '../../src-main/worker/pipeline/decode.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'heirloom-corpus-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const tiny = path.join(projectFixtures, 'pmrf', 'tiny');
const MODEL = ['--model', path.join(tiny, 'checkpoint.safetensors'), '--arch', path.join(tiny, 'meta.json'), '--face-size', '64', '--steps', '1'];

function heirloom(args: string[]) {
  const env = { ...process.env, HEIRLOOM_HOME: path.join(tmp, 'home') };
  return spawnSync(process.execPath, ['bin/heirloom.mjs', ...args], { cwd: repoRoot, encoding: 'utf8', env });
}

/** A flat PNG made by libvips in well under a second, even at 92 MP (it compresses to a few MB). */
async function flat(file: string, width: number, height: number): Promise<string> {
  await sharp({ create: { width, height, channels: 3, background: { r: 140, g: 120, b: 100 } } }).png({ compressionLevel: 1 }).toFile(file);
  return file;
}

interface Summary {
  photos: { input: string; outcome: string; outputs: string[]; error: string | null; note: string | null }[];
}

test('poison photos: a 92 MP PNG at 4x is written at 1x, a 30000x20 strip at 2x; the rest at 4x; no crash', async () => {
  const dir = path.join(tmp, 'scale');
  mkdirSync(dir);
  await flat(path.join(dir, 'big.png'), 9600, 9600);
  await flat(path.join(dir, 'strip.png'), 30000, 20);
  await flat(path.join(dir, 'good.png'), 300, 200);
  const out = path.join(tmp, 'scale-out');
  const r = heirloom(['restore', dir, '-o', out, '--scale', '4', ...MODEL]);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(readFileSync(path.join(out, 'heirloom-summary.json'), 'utf8')) as Summary;
  const photos = new Map(summary.photos.map((p) => [path.basename(p.input), p]));
  const sizes: Record<string, [number, number, number]> = { 'big.png': [9600, 9600, 1], 'strip.png': [60000, 40, 2], 'good.png': [1200, 800, 4] };
  for (const [name, [w, h, scale]] of Object.entries(sizes)) {
    const p = photos.get(name)!;
    assert.equal(p.outcome, 'restored', name);
    const image = path.join(out, p.outputs[0]);
    const meta = await sharp(image, { limitInputPixels: false }).metadata();
    assert.deepEqual([meta.width, meta.height], [w, h], name);
    const sidecar = JSON.parse(readFileSync(`${image}.json`, 'utf8')) as { settings: { scale: number }; output: { scale: number; note?: string } };
    assert.deepEqual([sidecar.settings.scale, sidecar.output.scale], [4, scale], `${name} sidecar`);
    assert.equal(sidecar.output.note ?? null, p.note, `${name}: the sidecar and the summary say the same`);
  }
  assert.equal(photos.get('good.png')!.note, null);
  const notes = r.stderr.split('\n').filter((l) => / instead of /.test(l));
  assert.deepEqual(notes, [
    'big.png: written at 1x instead of 4x: at 4x it would be 38400x38400 pixels (1475 MP), more than Heirloom can hold in memory',
    'strip.png: written at 2x instead of 4x: at 4x it would be 120000x80 pixels, more than a JPEG file can hold (65535 a side); PNG or TIFF output keeps 4x',
  ]);
  assert.equal(photos.get('big.png')!.note, notes[0].slice('big.png: '.length));
  // The app shows the photo's note on it (gallery, viewer): the same words, as a sentence.
  const db = new Database(path.join(out, '.heirloom', 'library.db'), { readonly: true });
  try {
    const row = db.prepare("SELECT note FROM photos WHERE path LIKE '%big.png'").get() as { note: string | null };
    assert.equal(row.note, `W${notes[0].slice('big.png: w'.length)}.`);
  } finally {
    db.close();
  }
});

test('a photo no WebP file can hold fails alone, in one line that says what to do', async () => {
  const dir = path.join(tmp, 'webp');
  mkdirSync(dir);
  await flat(path.join(dir, 'panorama.png'), 20000, 60);
  await flat(path.join(dir, 'good.png'), 300, 200);
  const r = heirloom(['restore', dir, '-o', path.join(tmp, 'webp-out'), '--format', 'webp', ...MODEL]);
  assert.equal(r.status, 1, r.stderr);
  const failed = r.stderr.split('\n').filter((l) => l.includes('panorama.png'));
  assert.deepEqual(failed, ['FAILED panorama.png: the photo is 20000x60 pixels, more than a WebP file can hold (16383 a side): choose PNG or TIFF output']);
  assert.match(r.stderr, /^good\.png -> good\.restored\.webp/m);
});

test('an output folder that is an input folder, also through a link, is refused before anything is written', async () => {
  const album = path.join(tmp, 'album');
  mkdirSync(album);
  await flat(path.join(album, 'a.png'), 120, 90);
  symlinkSync(album, path.join(tmp, 'link'));
  const cases: [string[], RegExp][] = [
    [[album, '-o', path.join(tmp, 'link')], /^heirloom: the output folder .*link is the input folder .*album \(through a link\): Heirloom never writes among the originals\. Choose another output folder, for example .*album\/restored$/m],
    [[album, '-o', album], /^heirloom: the output folder .*album is the input folder .*album: Heirloom never writes/m],
    [[path.join(album, 'a.png'), '-o', path.join(tmp, 'link')], /^heirloom: the output folder .*link is the folder a\.png is in \(through a link\)/m],
    [[path.join(tmp, 'link', 'a.png'), '-o', album], /the folder a\.png is in \(through a link\)/],
  ];
  for (const [args, message] of cases) {
    const r = heirloom(['restore', ...args, ...MODEL]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.deepEqual(readdirSync(album), ['a.png'], 'nothing written among the originals');
  }
});

test('an output folder inside the album, reached through a link, is never walked: a rerun does not restore its own outputs', async () => {
  const album = path.join(tmp, 'album2');
  mkdirSync(path.join(album, 'restored'), { recursive: true });
  await flat(path.join(album, 'a.png'), 120, 90);
  symlinkSync(path.join(album, 'restored'), path.join(tmp, 'out-link'));
  for (let run = 0; run < 2; run++) {
    const r = heirloom(['restore', album, '--recursive', '-o', path.join(tmp, 'out-link'), ...MODEL]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^1 photo\(s\)/m, 'only the original, never its output');
  }
  assert.deepEqual(readdirSync(path.join(album, 'restored')).filter((n) => !n.startsWith('.')).sort(), [
    'a.restored.jpg',
    'a.restored.jpg.json',
    'heirloom-summary.csv',
    'heirloom-summary.json',
  ]);
});

/** A PNG whose header claims `w` x `h` (a few bytes on disk). */
function pngHeaderOnly(file: string, w: number, h: number): void {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  writeFileSync(file, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]));
}

test('bad files: one line per failed file, each saying what to do; the good one is restored', async () => {
  const dir = path.join(tmp, 'bad');
  mkdirSync(dir);
  await flat(path.join(dir, 'good.png'), 200, 150);
  writeFileSync(path.join(dir, 'empty.jpg'), '');
  writeFileSync(path.join(dir, 'notes.jpg'), 'a shopping list, not a photo');
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer();
  const badCrc = Buffer.from(png);
  badCrc[badCrc.length - 20] ^= 0xff;
  writeFileSync(path.join(dir, 'badcrc.png'), badCrc);
  pngHeaderOnly(path.join(dir, 'huge.png'), 30000, 30000);
  const r = heirloom(['restore', dir, '-o', path.join(tmp, 'bad-out'), ...MODEL]);
  assert.equal(r.status, 1, r.stderr);
  const failed = r.stderr.split('\n').filter((l) => l.startsWith('FAILED') || / cannot be read| FAILED/.test(l));
  assert.deepEqual(failed, [
    'FAILED badcrc.png: the file is damaged and cannot be read: use another copy of this photo, or scan the print again',
    'FAILED empty.jpg: the file is empty (0 bytes): copy the photo again from where it came from',
    'FAILED huge.png: 30000x30000 (900 MP) is larger than Heirloom can restore (200 MP): reduce it in an image editor first',
    'FAILED notes.jpg: this is not a photo format Heirloom can read (JPEG, PNG, TIFF, WebP, AVIF): open it in an image program and save it as JPEG or PNG',
  ]);
  for (const name of ['badcrc.png', 'empty.jpg', 'huge.png', 'notes.jpg']) {
    assert.equal(r.stderr.split('\n').filter((l) => l.includes(name)).length, 1, `${name}: one line`);
  }
  assert.match(r.stderr, /^good\.png -> good\.restored\.jpg/m);
  assert.match(r.stderr, /^1 restored, 0 already done, 4 failed in /m);
});

test('Ctrl-C twice across a resumed batch: the closing line counts what this run did', async () => {
  const dir = path.join(tmp, 'sigint');
  mkdirSync(dir);
  for (const name of ['p1', 'p2', 'p3']) await flat(path.join(dir, `${name}.png`), 320, 240);
  const out = path.join(tmp, 'sigint-out');
  const runUntil = (restored: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['bin/heirloom.mjs', 'restore', dir, '-o', out, ...MODEL], { cwd: repoRoot, env: { ...process.env, HEIRLOOM_HOME: path.join(tmp, 'home') } });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        stderr += d;
        if (stderr.includes(`${restored}.png -> `) && !child.killed) child.kill('SIGINT');
      });
      child.on('error', reject);
      child.on('close', (code) => resolve(`${stderr}exit ${code}`));
    });
  const first = await runUntil('p1');
  assert.match(first, /^1 restored, 0 already done, 0 failed, 2 not yet done in .*\nexit 130$/m);
  const second = await runUntil('p2');
  assert.match(second, /^p1\.png: already restored \(p1\.restored\.jpg\), skipped$/m);
  // Before: "2 restored, 0 already done" (p1, skipped above, was counted as restored by this run).
  assert.match(second, /^1 restored, 1 already done, 0 failed, 1 not yet done in .*\nexit 130$/m);
});

test('the app previews the largest photo Heirloom writes', async () => {
  // Every output the plan allows has at most MAX_OUTPUT_PIXELS; previews take at least that many.
  assert.ok(MAX_OUTPUT_PIXELS <= DISPLAY_MAX_PIXELS && DEFAULT_MAX_PIXELS <= DISPLAY_MAX_PIXELS);
  const side = Math.floor(Math.sqrt(MAX_OUTPUT_PIXELS));
  const big = path.join(tmp, 'largest-output.jpg');
  await sharp({ create: { width: side, height: side, channels: 3, background: '#7a6a50' } }).jpeg({ quality: 40 }).toFile(big);
  const out = path.join(tmp, 'largest-preview.jpg');
  await writeDisplayCopy({ source: big, out, size: 2048, quality: 85 });
  const m = await sharp(out).metadata();
  assert.deepEqual([m.width, m.height], [2048, 2048]);
});
