// `heirloom repair` as a user runs it: a child process on files and folders, no model.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { repoRoot, sharedPath } from '../helpers/shared.ts';
import { drawDamage } from '../helpers/synthetic-damage.ts';

const fixtures = sharedPath('fixtures');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'heirloom-repair-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function heirloom(args: string[]) {
  const home = path.join(tmp, 'home');
  return spawnSync(process.execPath, ['bin/heirloom.mjs', ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, HEIRLOOM_HOME: home } });
}
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

interface Entry {
  path: string;
  output?: string;
  mask?: string;
  width?: number;
  height?: number;
  repairedPixels?: number;
  error?: string;
}

test('repair: a folder of damaged prints -> <name>.repaired.<ext> and masks at the photo size; inputs untouched', { skip: fixtures.skip }, async () => {
  const dir = path.join(tmp, 'in');
  mkdirSync(dir);
  // A photo with drawn damage (known mask), saved as PNG and as JPEG.
  const { data, info } = await sharp(path.join(fixtures.path, 'photos', 'film-still-1.jpg')).raw().toBuffer({ resolveWithObject: true });
  const syn = drawDamage({ width: info.width, height: info.height, depth: 8, data: new Uint8Array(data) }, { seed: 5 });
  const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } };
  await sharp(syn.damaged.data, raw).png().toFile(path.join(dir, 'still.png'));
  await sharp(syn.damaged.data, raw).jpeg({ quality: 95 }).toFile(path.join(dir, 'still-jpeg.jpg'));
  writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
  const before = readdirSync(dir).map((f) => [f, sha(path.join(dir, f))]);

  const out = path.join(tmp, 'out');
  const r = heirloom(['repair', dir, '-o', out, '--save-mask', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const entries = (JSON.parse(r.stdout) as { images: Entry[] }).images;
  assert.deepEqual(entries.map((e) => path.basename(e.output ?? '')).sort(), ['still-jpeg.repaired.jpg', 'still.repaired.png']);
  assert.deepEqual(readdirSync(out).sort(), ['still-jpeg.damage-mask.png', 'still-jpeg.repaired.jpg', 'still.damage-mask.png', 'still.repaired.png']);
  assert.deepEqual(readdirSync(dir).map((f) => [f, sha(path.join(dir, f))]), before, 'inputs unchanged');

  // The PNG's mask: photo-sized, white where repaired, and it covers most of the drawn damage.
  const maskFile = path.join(out, 'still.damage-mask.png');
  const meta = await sharp(maskFile).metadata();
  assert.deepEqual([meta.width, meta.height, meta.channels], [info.width, info.height, 1]);
  const mask = await sharp(maskFile).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  let damage = 0, hit = 0, white = 0;
  for (let i = 0; i < info.width * info.height; i++) {
    if (mask.data[i] === 255) white++;
    if (syn.alpha[i] >= 0.5) {
      damage++;
      if (mask.data[i] === 255) hit++;
    }
  }
  const entry = entries.find((e) => e.output?.endsWith('still.repaired.png'));
  assert.equal(white, entry?.repairedPixels);
  assert.ok(hit / damage > 0.6, `mask covers ${(hit / damage).toFixed(2)} of the drawn damage`);
  // Outside the mask the PNG output is the input, pixel for pixel.
  const rep = await sharp(path.join(out, 'still.repaired.png')).raw().toBuffer();
  for (let i = 0; i < info.width * info.height; i++) {
    if (mask.data[i] === 0) assert.equal(rep[3 * i], syn.damaged.data[3 * i], `pixel ${i} outside the mask changed`);
  }
});

test('repair --fix-colour: a cyan cast corrected, a sepia print kept', { skip: fixtures.skip }, () => {
  const out = path.join(tmp, 'colour-out');
  const r = heirloom(['repair', path.join(fixtures.path, 'photos', 'scan-family-3.png'), path.join(fixtures.path, 'old', 'woman-scratched-1.png'), '-o', out, '--fix-colour', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const [cast, sepia] = (JSON.parse(r.stdout) as { images: (Entry & { colour?: { corrected: boolean; castBefore: number; castAfter: number } })[] }).images;
  assert.equal(cast.colour?.corrected, true);
  assert.ok((cast.colour?.castAfter ?? 99) < 0.7 * (cast.colour?.castBefore ?? 0), JSON.stringify(cast.colour));
  assert.equal(sepia.colour?.corrected, false);
});

test('repair: a missing file is reported, exit code 1', () => {
  const r = heirloom(['repair', path.join(tmp, 'nope.jpg'), '-o', path.join(tmp, 'out2')]);
  assert.equal(r.status, 1);
  assert.match(r.stdout + r.stderr, /nope\.jpg/);
});

test('restore --repair / --no-repair / --fix-colour: the stage runs before the faces and the sidecar says what it did', { skip: fixtures.skip }, async () => {
  const dir = path.join(tmp, 'restore-in');
  mkdirSync(dir);
  const { data, info } = await sharp(path.join(fixtures.path, 'photos', 'film-still-1.jpg')).raw().toBuffer({ resolveWithObject: true });
  const syn = drawDamage({ width: info.width, height: info.height, depth: 8, data: new Uint8Array(data) }, { seed: 6 });
  await sharp(syn.damaged.data, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toFile(path.join(dir, 'still.png'));
  const tiny = path.join(repoRoot, 'tests', 'fixtures', 'pmrf', 'tiny');
  const model = ['--model', path.join(tiny, 'checkpoint.safetensors'), '--arch', path.join(tiny, 'meta.json'), '--face-size', '128', '--steps', '1', '--format', 'png'];
  const sidecar = (out: string) => JSON.parse(readFileSync(path.join(out, 'still.restored.png.json'), 'utf8')) as { settings: { repair: boolean; fixColour: boolean }; repair?: { pixels: number; fraction: number; mask: string }; colour?: { corrected: boolean; castBefore: number; castAfter: number } };

  const on = path.join(tmp, 'restore-on');
  const r1 = heirloom(['restore', dir, '-o', on, '--repair', '--fix-colour', ...model]);
  assert.equal(r1.status, 0, r1.stderr);
  const s1 = sidecar(on);
  assert.equal(s1.settings.repair, true);
  assert.equal(s1.repair?.mask, 'detected');
  assert.ok((s1.repair?.pixels ?? 0) > 100 && (s1.repair?.fraction ?? 1) < 0.1, JSON.stringify(s1.repair));
  assert.equal(s1.colour?.corrected, true);

  const off = path.join(tmp, 'restore-off');
  const r2 = heirloom(['restore', dir, '-o', off, '--no-repair', '--no-fix-colour', ...model]);
  assert.equal(r2.status, 0, r2.stderr);
  const s2 = sidecar(off);
  assert.deepEqual([s2.settings.repair, s2.settings.fixColour, s2.repair, s2.colour], [false, false, undefined, undefined]);

  // Away from faces the repaired output differs from the unrepaired one exactly where damage was drawn.
  const a = await sharp(path.join(on, 'still.restored.png')).raw().toBuffer();
  const b = await sharp(path.join(off, 'still.restored.png')).raw().toBuffer();
  assert.notDeepEqual(a, b);
});
