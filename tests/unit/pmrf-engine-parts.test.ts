import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArch, PRESETS } from '../../src-main/worker/inference/arch.ts';
import { CACHE_KEEP, pruneCache } from '../../src-main/worker/inference/build.ts';
import { gaussianNoise } from '../../src-main/worker/inference/noise.ts';
import { providerPlan } from '../../src-main/worker/inference/session.ts';
import { shiftedWindowMask, swinirTensors } from '../../src-main/worker/inference/swinir.ts';
import { openSafetensors } from '../../src-main/checkpoint/safetensors.ts';
import { projectFixtures, sharedPath } from '../helpers/shared.ts';

const tiny = path.join(projectFixtures, 'pmrf', 'tiny');
const tinyArch = parseArch(JSON.parse(readFileSync(path.join(tiny, 'meta.json'), 'utf8')), 'tiny meta.json');

interface Key {
  name: string;
  shape: number[];
  dtype: string;
}

function swinirKeys(dir: string): Key[] {
  return (JSON.parse(readFileSync(path.join(dir, 'keys.json'), 'utf8')) as Key[]).filter((k) => k.name.startsWith('mmse_model.'));
}

function assertSpecsMatchKeys(specs: ReturnType<typeof swinirTensors>, keys: Key[]): void {
  const byName = new Map(keys.map((k) => [k.name, k]));
  assert.equal(specs.length, keys.length, 'one spec per mmse_model tensor');
  for (const s of specs) {
    const k = byName.get(s.name);
    assert.ok(k, `${s.name} is a checkpoint tensor`);
    assert.deepEqual(s.shape, k.shape, s.name);
    assert.equal(s.dtype === 'I64', k.dtype === 'int64', s.name);
  }
}

test('swinirTensors lists exactly the tiny checkpoint SwinIR tensors', () => {
  assertSpecsMatchKeys(swinirTensors(tinyArch.swinir), swinirKeys(tiny));
});

const full = sharedPath('pmrf', 'vectors', 'full');
test('swinirTensors of the blind-face preset lists exactly the published SwinIR-L tensors', { skip: full.skip }, () => {
  assertSpecsMatchKeys(swinirTensors(PRESETS['pmrf-blind-face-512'].swinir), swinirKeys(full.path));
});

test('computed shifted-window masks equal the masks stored in the tiny checkpoint', async () => {
  const src = await openSafetensors(path.join(tiny, 'checkpoint.safetensors'));
  try {
    const masks = src.list().filter((t) => t.name.endsWith('.attn_mask'));
    assert.equal(masks.length, 2);
    const computed = shiftedWindowMask(16, 16, 8, 4);
    for (const m of masks) assert.deepEqual(await src.read(m.name), computed, m.name);
  } finally {
    await src.close();
  }
  // a non-square-window grid still labels 9 regions: the last window row/col is split
  const mask = shiftedWindowMask(24, 24, 8, 4);
  assert.equal(mask.length, 9 * 64 * 64);
  assert.ok(mask.subarray(0, 64 * 64).every((v) => v === 0), 'the first window is one region');
  assert.ok(mask.subarray(8 * 64 * 64).some((v) => v === -100), 'the corner window mixes regions');
});

test('gaussianNoise is deterministic, seed-dependent and standard normal', () => {
  const a = gaussianNoise(42, 100_001);
  assert.deepEqual(gaussianNoise(42, 100_001), a);
  assert.notDeepEqual(gaussianNoise(43, 100_001), a);
  assert.notDeepEqual(gaussianNoise(-42, 16), gaussianNoise(42, 16));
  assert.notDeepEqual(gaussianNoise(2 ** 32 + 42, 16), gaussianNoise(42, 16));
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
  assert.ok(a.every(Number.isFinite));
  // pinned values: the same seed must give the same faces on every platform and release
  assert.deepEqual(Array.from(gaussianNoise(0, 4), (v) => v.toFixed(6)), PINNED_SEED0);
  assert.throws(() => gaussianNoise(1.5, 4), /integer/);
});
const PINNED_SEED0 = ['0.967524', '0.394492', '-0.181594', '-1.233196'];

test('providerPlan: auto tries the platform GPUs this build offers, then the CPU', () => {
  const linux = [
    { name: 'cpu', bundled: true },
    { name: 'cuda', bundled: false },
  ];
  const noLib = () => false;
  assert.deepEqual(providerPlan('cpu', 'linux', linux, noLib), { order: ['cpu'], skipped: [] });
  const auto = providerPlan('auto', 'linux', linux, noLib);
  assert.deepEqual(auto.order, ['cpu']);
  assert.match(auto.skipped[0], /cuda: its provider library is not installed/);
  assert.deepEqual(providerPlan('auto', 'linux', linux, () => true).order, ['cuda', 'cpu']);
  const win = [
    { name: 'cpu', bundled: true },
    { name: 'dml', bundled: true },
  ];
  const autoWin = providerPlan('auto', 'win32', win, noLib);
  assert.deepEqual(autoWin.order, ['dml', 'cpu']);
  assert.match(autoWin.skipped[0], /cuda: not offered/);
  assert.deepEqual(providerPlan('auto', 'darwin', [{ name: 'cpu', bundled: true }, { name: 'coreml', bundled: true }], noLib).order, ['coreml', 'cpu']);
  // an explicit choice is attempted (its load error is the useful message), CPU stays the fallback
  assert.deepEqual(providerPlan('cuda', 'linux', linux, noLib).order, ['cuda', 'cpu']);
  // ...but one the build does not offer at all is skipped with a reason (never silently dropped)
  const dml = providerPlan('dml', 'linux', linux, noLib);
  assert.deepEqual(dml.order, ['cpu']);
  assert.match(dml.skipped[0], /dml: not offered by this onnxruntime-node build on linux/);
});

test('pruneCache keeps the most recently used entries and drops crashed builds a day old', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'heirloom-prune-'));
  try {
    const day = 24 * 3600;
    const now = Date.now() / 1000;
    const make = (name: string, ageSeconds: number, manifest = true) => {
      const dir = path.join(root, name);
      mkdirSync(dir);
      const file = path.join(dir, manifest ? 'manifest.json' : 'x');
      writeFileSync(file, '{}');
      utimesSync(manifest ? file : dir, now - ageSeconds, now - ageSeconds);
      return dir;
    };
    const current = make('current', 10 * day);
    for (let i = 0; i < 5; i++) make(`e${i}`, i * 100);
    make('.tmp-old', 2 * day, false);
    make('.tmp-running', 60, false);
    await pruneCache(root, current);
    const left = readdirSync(root).sort();
    assert.equal(CACHE_KEEP, 3);
    assert.deepEqual(left, ['.tmp-running', 'current', 'e0', 'e1']);
    assert.ok(existsSync(path.join(current, 'manifest.json')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
