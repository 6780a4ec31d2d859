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
  // Cut inside its header: nothing of the picture can be read (a file cut later is restored as far as it goes).
  writeFileSync(path.join(dir, 'b.jpg'), readFileSync(path.join(photos.path, 'film-still-1.jpg')).subarray(0, 300));
  copyFileSync(path.join(photos.path, 'portrait-small-1.jpg'), path.join(dir, 'c.jpg'));
  // Cut at 60%: the top of the picture is there, so it is restored and says what is missing.
  const still = readFileSync(path.join(photos.path, 'film-still-1.jpg'));
  writeFileSync(path.join(dir, 'd.jpg'), still.subarray(0, Math.floor(still.length * 0.6)));
  writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
  const out = path.join(tmp, 'batch-out');
  const r = heirloom(['restore', dir, '-o', out, '--json', ...MODEL]);
  assert.equal(r.status, 1, r.stderr);
  const s = JSON.parse(r.stdout) as Summary;
  assert.deepEqual([s.counts.done, s.counts.failed], [3, 1]);
  const cut = s.photos.find((p) => path.basename(p.input) === 'd.jpg') as { outcome: string; damage?: string } | undefined;
  assert.equal(cut?.outcome, 'restored');
  assert.match(cut?.damage ?? '', /^The file is incomplete \(it ends early\): the bottom \d+% of the picture could not be read/);
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
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /the output folder .* is the folder portrait\.jpg is in: Heirloom never writes among the originals/);
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

test('restore: --fidelity, --sampler, --strength and --consistency reach the sidecar; --mode still works; bad values are refused', { skip: photos.skip }, () => {
  const out = path.join(tmp, 'fidelity');
  const input = path.join(photos.path, 'group-band-5.jpg');
  const r = heirloom(['restore', input, '-o', out, '--json', ...MODEL, '--steps', '4', '--fidelity', '0.5', '--sampler', 'multistep2', '--strength', '0.5', '--consistency', '4']);
  assert.equal(r.status, 0, r.stderr);
  const sidecar = JSON.parse(readFileSync(path.join(out, 'group-band-5.restored.jpg.json'), 'utf8')) as { settings: Record<string, unknown> };
  assert.deepEqual([sidecar.settings.fidelity, sidecar.settings.sampler, sidecar.settings.strength, sidecar.settings.steps, sidecar.settings.consistency], [0.5, 'multistep2', 0.5, 4, 4]);
  assert.equal('mode' in sidecar.settings, false);
  const old = path.join(tmp, 'fidelity-mode');
  assert.equal(heirloom(['restore', input, '-o', old, ...MODEL, '--mode', 'mean']).status, 0);
  const mean = JSON.parse(readFileSync(path.join(old, 'group-band-5.restored.jpg.json'), 'utf8')) as { settings: Record<string, unknown> };
  assert.equal(mean.settings.fidelity, 0, '--mode mean is fidelity 0');
  for (const [flag, value, message] of [
    ['--fidelity', '2', /--fidelity must be a number from 0 to 1/],
    ['--strength', '0', /--strength must be a number above 0/],
    ['--sampler', 'rk4', /--sampler must be one of euler, heun, multistep2/],
    ['--consistency', '-1', /--consistency must be a number from 0 to 10000/],
  ] as const) {
    const bad = heirloom(['restore', input, '-o', path.join(tmp, 'fidelity-bad'), flag, value]);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, message);
  }
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

const aligned = sharedPath('fixtures', 'aligned');

test('restore: a square photo that is an aligned face is offered as one (said on stderr); --no-aligned and --aligned decide', { skip: aligned.skip }, async () => {
  const dir = path.join(tmp, 'aligned-in');
  mkdirSync(dir);
  copyFileSync(path.join(aligned.path, 'demo-00000137.png'), path.join(dir, 'demo.png'));
  const auto = heirloom(['restore', dir, '-o', path.join(tmp, 'aligned-auto'), '--format', 'png', '--json', ...MODEL]);
  assert.equal(auto.status, 0, auto.stderr);
  const s = JSON.parse(auto.stdout) as Summary & { photos: { alignedInput?: string }[] };
  assert.equal(s.photos[0].alignedInput, 'offered');
  const plain = heirloom(['restore', dir, '-o', path.join(tmp, 'aligned-auto-text'), ...MODEL]);
  assert.match(plain.stderr, /demo\.png: looks like an aligned face .* --no-aligned/);
  const never = heirloom(['restore', dir, '-o', path.join(tmp, 'aligned-never'), '--no-aligned', '--format', 'png', '--json', ...MODEL]);
  assert.equal(never.status, 0, never.stderr);
  assert.equal((JSON.parse(never.stdout) as { photos: { alignedInput?: string }[] }).photos[0].alignedInput, undefined);
  // Restored whole: with --aligned the corner of the 512 output changed too; with --no-aligned the
  // detected face's feathered mask leaves the corner as it was.
  const out = path.join(tmp, 'aligned-always');
  const always = heirloom(['restore', dir, '-o', out, '--aligned', '--format', 'png', '--json', ...MODEL]);
  assert.equal(always.status, 0, always.stderr);
  const a = JSON.parse(always.stdout) as { photos: { alignedInput?: string; outputs: string[] }[] };
  assert.equal(a.photos[0].alignedInput, 'asked');
  const before = await sharp(path.join(dir, 'demo.png')).raw().toBuffer();
  const after = await sharp(a.photos[0].outputs[0]).raw().toBuffer();
  const neverOut = (JSON.parse(never.stdout) as { photos: { outputs: string[] }[] }).photos[0].outputs[0];
  const detected = await sharp(neverOut).raw().toBuffer();
  const corner = (buf: Buffer) => buf.subarray(0, 3 * 8);
  assert.notDeepEqual(corner(after), corner(before), 'the corner is restored with --aligned');
  assert.deepEqual(corner(detected), corner(before), 'the corner is kept with --no-aligned');
  // A wide photo with --aligned fails alone with a message that says why.
  const wide = path.join(tmp, 'wide-in');
  mkdirSync(wide);
  copyFileSync(path.join(photos.path, 'film-still-1.jpg'), path.join(wide, 'wide.jpg'));
  const w = heirloom(['restore', wide, '-o', path.join(tmp, 'wide-out'), '--aligned', ...MODEL]);
  assert.equal(w.status, 1);
  assert.match(w.stderr, /wide\.jpg is 400x225: an aligned face must be square/);
});
