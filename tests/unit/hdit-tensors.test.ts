/**
 * The HDiT tensor list must name exactly the checkpoint's `model.*` tensors with their shapes
 * (tiny vectors always; the published architecture's keys when the shared folder exists).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArch, PRESETS, DEFAULT_PRESET, type HditConfig } from '../../src-main/worker/inference/arch.ts';
import { hditTensors } from '../../src-main/worker/inference/hdit.ts';
import { projectFixtures, sharedPath } from '../helpers/shared.ts';

function modelKeys(dir: string): Map<string, string> {
  const keys = JSON.parse(readFileSync(path.join(dir, 'keys.json'), 'utf8')) as { name: string; shape: number[] }[];
  return new Map(keys.filter((k) => k.name.startsWith('model.')).map((k) => [k.name, k.shape.join('x')]));
}

function assertMatches(cfg: HditConfig, dir: string): void {
  const want = modelKeys(dir);
  const got = new Map(hditTensors(cfg).map((s) => [s.name, s.shape.join('x')]));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [name, shape] of got) assert.equal(shape, want.get(name), name);
}

test('hditTensors lists exactly the tiny checkpoint model.* tensors and shapes', () => {
  const dir = path.join(projectFixtures, 'pmrf', 'tiny');
  assertMatches(parseArch(JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')), 'meta.json').hdit, dir);
});

const full = sharedPath('pmrf', 'vectors', 'full');
test('hditTensors of the default preset lists exactly the published model.* tensors', { skip: full.skip }, () => {
  assertMatches(PRESETS[DEFAULT_PRESET].hdit, full.path);
});
