import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { projectFixtures, repoRoot, sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'heirloom-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const tiny = path.join(projectFixtures, 'pmrf', 'tiny');
/** The tiny test checkpoint at its native 128 px keeps these runs to seconds. */
const MODEL = ['--model', path.join(tiny, 'checkpoint.safetensors'), '--arch', path.join(tiny, 'meta.json'), '--face-size', '128', '--steps', '1'];

function heirloom(args: string[], env: Record<string, string | undefined> = {}) {
  const home = path.join(tmp, 'home');
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, HEIRLOOM_HOME: home, HF_HOME: path.join(home, 'hf'), ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete fullEnv[k];
  return spawnSync(process.execPath, ['bin/heirloom.mjs', ...args], { cwd: repoRoot, encoding: 'utf8', env: fullEnv });
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** The parts of `heirloom restore --json` these tests rely on (the batch queue writes it). */
interface Summary {
  counts: { done: number; failed: number };
  photos: { input: string; outcome: string; outputs: string[]; error: string | null }[];
}

test('restore: a corrupt file fails alone, the others are restored, exit code 1', { skip: photos.skip }, () => {
  const dir = path.join(tmp, 'batch');
  mkdirSync(dir);
  copyFileSync(path.join(photos.path, 'boy-railing-1.jpg'), path.join(dir, 'a.jpg'));
  writeFileSync(path.join(dir, 'b.jpg'), readFileSync(path.join(photos.path, 'film-still-1.jpg')).subarray(0, 2500));
  copyFileSync(path.join(photos.path, 'portrait-small-1.jpg'), path.join(dir, 'c.jpg'));
  writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
  const out = path.join(tmp, 'batch-out');
  const r = heirloom(['restore', dir, '-o', out, '--json', ...MODEL]);
  assert.equal(r.status, 1, r.stderr);
  const s = JSON.parse(r.stdout) as Summary;
  assert.deepEqual([s.counts.done, s.counts.failed], [2, 1]);
  const failed = s.photos.filter((p) => p.outcome === 'failed');
  assert.deepEqual(failed.map((p) => path.basename(p.input)), ['b.jpg']);
  assert.match(failed[0].error ?? '', /b\.jpg/);
  for (const p of s.photos.filter((x) => x.outcome === 'restored')) {
    const input = path.join(dir, path.basename(p.input));
    const output = p.outputs[0];
    assert.equal(path.dirname(output), out);
    assert.notEqual(sha(output), sha(input));
  }
});

test('restore: inputs are never replaced, also with the output folder = the input folder', { skip: photos.skip }, () => {
  const dir = path.join(tmp, 'same');
  mkdirSync(dir);
  const input = path.join(dir, 'portrait.jpg');
  copyFileSync(path.join(photos.path, 'portrait-small-1.jpg'), input);
  const before = sha(input);
  const r = heirloom(['restore', input, '-o', dir, '--format', 'jpeg', ...MODEL]);
  assert.ok(r.status === 0 || /no image files/.test(r.stderr), r.stderr);
  assert.equal(sha(input), before);
});

test('restore: --scale and --format are honoured', { skip: photos.skip }, async () => {
  const out = path.join(tmp, 'scaled');
  const r = heirloom(['restore', path.join(photos.path, 'group-band-5.jpg'), '-o', out, '--scale', '2', '--format', 'webp', '--json', ...MODEL]);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Summary;
  const meta = await sharp(s.photos[0].outputs[0]).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 496, 378]);
});

test('restore: without an installed model it fails with how to install one, and writes nothing', { skip: photos.skip }, () => {
  const out = path.join(tmp, 'nomodel');
  const r = heirloom(['restore', path.join(photos.path, 'film-still-1.jpg'), '-o', out], { HEIRLOOM_MODEL: undefined });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /heirloom models install/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a message, not a stack');
  assert.ok(!existsSync(out) || readdirSync(out).length === 0, 'no output written');
});

test('restore: bad options are rejected with a clear message', () => {
  const r = heirloom(['restore', repoRoot, '-o', tmp, '--scale', '3']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--scale must be one of 1, 2, 4/);
});
