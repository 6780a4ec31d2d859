/** `heirloom devices`: the facts of this machine, through the real CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { probeProvider } from '../../src-main/worker/inference/provider-probe.ts';
import { projectFixtures, repoRoot } from '../helpers/shared.ts';

const home = mkdtempSync(path.join(os.tmpdir(), 'heirloom-devices-'));
after(() => rmSync(home, { recursive: true, force: true }));
const tiny = path.join(projectFixtures, 'pmrf', 'tiny');

function devices(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/heirloom.mjs', 'devices', ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, HEIRLOOM_HOME: home, HEIRLOOM_MODEL: '' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('devices lists every provider with whether it loads, the adapter and what auto picks', () => {
  const text = devices('--model', tiny, '--arch', path.join(tiny, 'meta.json'), '--face-size', '128');
  assert.match(text, /^onnxruntime-node 1\.30\.0 on /m);
  assert.match(text, /^ {2}cpu +offered, bundled +loads and computes the probe$/m);
  for (const p of ['webgpu', 'cuda', 'dml', 'coreml']) assert.match(text, new RegExp(`^  ${p} `, 'm'));
  assert.match(text, /^WebGPU adapter: /m);
  assert.match(text, /^auto runs on: (cpu|webgpu|cuda|dml|coreml)/m);
  assert.match(text, /^time per face: not measured yet/m);
  const json = JSON.parse(devices('--json')) as { providers: { provider: string; loads: boolean | null }[]; auto: { order: string[] } };
  assert.equal(json.providers.find((p) => p.provider === 'cpu')?.loads, true);
  assert.equal(json.auto.order.at(-1), 'cpu');
});

const webgpu = await probeProvider('webgpu');

test('devices --check: the WebGPU self-check verdict, node placement and the measured time per face', { skip: webgpu.loads ? false : `no WebGPU adapter (${webgpu.reason})` }, () => {
  const text = devices('--model', tiny, '--arch', path.join(tiny, 'meta.json'), '--face-size', '128', '--steps', '3', '--check');
  assert.match(text, /^self-check webgpu on .*: PASS$/m);
  assert.match(text, /^ {2}nodes: SwinIR \d+ on webgpu; HDiT \d+ on webgpu$/m);
  assert.match(text, /^time per face on webgpu at K = 3: [\d.]+ s \(SwinIR [\d.]+ s \+ 3 x HDiT [\d.]+ s; measured by the self-check/m);
  assert.match(text, /^time per face on cpu at K = 3: /m);
});

test('pmrf-check fails when the device asked for is not the one that ran (no silent CPU fallback)', () => {
  const missing = process.platform === 'darwin' ? 'dml' : 'coreml';
  const r = spawnSync(process.execPath, ['bin/heirloom.mjs', 'pmrf-check', tiny, '--device', missing, '--cache-dir', path.join(home, 'cache')], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, HEIRLOOM_HOME: home } });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, new RegExp(`provider cpu \\(GPU not used: ${missing}: not offered by this onnxruntime-node build`));
  assert.match(r.stdout, new RegExp(`\nFAIL \\(asked for ${missing}, ran on cpu\\)\n`));
});
