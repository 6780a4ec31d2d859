import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drmGpus, webgpuAdapter } from '../../src-main/worker/inference/gpu-adapter.ts';
import { distrustReason } from '../../src-main/worker/inference/gpu-trust.ts';
import { placementFromProfile, type SelfCheck } from '../../src-main/worker/inference/self-check.ts';
import { providerPlan } from '../../src-main/worker/inference/session.ts';

const linux = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
];
const noLib = () => false;
const hardware = () => ({ name: 'AMD GPU 1002:73bf (driver amdgpu) via Vulkan', software: false });
const software = () => ({ name: 'software Vulkan (Mesa lavapipe or SwiftShader) on the CPU', software: true });

test('providerPlan: auto on Linux tries CUDA (when its library is there), then WebGPU, then the CPU', () => {
  assert.deepEqual(providerPlan('auto', 'linux', linux, () => true, hardware).order, ['cuda', 'webgpu', 'cpu']);
  const noCuda = providerPlan('auto', 'linux', linux, noLib, hardware);
  assert.deepEqual(noCuda.order, ['webgpu', 'cpu']);
  assert.match(noCuda.skipped[0], /cuda: its provider library is not installed/);
  // Windows: WebGPU before DirectML; macOS: WebGPU (Metal) before CoreML
  const win = [...linux, { name: 'dml', bundled: true }];
  assert.deepEqual(providerPlan('auto', 'win32', win, noLib, hardware).order, ['webgpu', 'dml', 'cpu']);
  const mac = [
    { name: 'cpu', bundled: true },
    { name: 'webgpu', bundled: true },
    { name: 'coreml', bundled: true },
  ];
  assert.deepEqual(providerPlan('auto', 'darwin', mac, noLib, hardware).order, ['webgpu', 'coreml', 'cpu']);
});

test('providerPlan: auto never picks a software WebGPU adapter, and says why', () => {
  const plan = providerPlan('auto', 'linux', linux, noLib, software);
  assert.deepEqual(plan.order, ['cpu']);
  assert.equal(plan.skipped.length, 2);
  assert.match(plan.skipped[1], /^webgpu: the only adapter is a software one \(software Vulkan .*\), slower than the CPU provider$/);
  // asked for by name it is still used (that is how CI verifies the WebGPU kernels on lavapipe)
  assert.deepEqual(providerPlan('webgpu', 'linux', linux, noLib, software).order, ['webgpu', 'cpu']);
  // a build without WebGPU: skipped with the reason, never silently dropped
  const old = providerPlan('webgpu', 'linux', [{ name: 'cpu', bundled: true }], noLib, hardware);
  assert.deepEqual(old.order, ['cpu']);
  assert.match(old.skipped[0], /webgpu: not offered by this onnxruntime-node build on linux/);
});

test('drmGpus reads the GPUs under /sys/class/drm and ignores display-only devices', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'heirloom-drm-'));
  try {
    const card = (name: string, driver: string, vendor?: string, device?: string) => {
      const dev = path.join(root, `${name}-dev`);
      mkdirSync(path.join(dev, 'drivers', driver), { recursive: true });
      if (vendor !== undefined) writeFileSync(path.join(dev, 'vendor'), `${vendor}\n`);
      if (device !== undefined) writeFileSync(path.join(dev, 'device'), `${device}\n`);
      symlinkSync(path.join(dev, 'drivers', driver), path.join(dev, 'driver'));
      mkdirSync(path.join(root, name));
      symlinkSync(dev, path.join(root, name, 'device'));
    };
    assert.deepEqual(drmGpus(root), []);
    const noNvidia = path.join(root, 'no-nvidia');
    assert.equal(webgpuAdapter('linux', root, noNvidia).software, true);
    // a container given an NVIDIA GPU: no DRM card, the driver's /proc entry
    const nv = path.join(root, 'nvidia-gpus');
    mkdirSync(path.join(nv, '0000:01:00.0'), { recursive: true });
    writeFileSync(path.join(nv, '0000:01:00.0', 'information'), 'Model: \t\t NVIDIA H200\nIRQ:   123\n');
    assert.deepEqual(webgpuAdapter('linux', root, nv), { name: 'NVIDIA H200 (driver nvidia, 0000:01:00.0) via Vulkan', software: false });
    card('card0', 'simpledrm');
    mkdirSync(path.join(root, 'card0-HDMI-A-1'));
    assert.deepEqual(drmGpus(root), []);
    card('card1', 'nvidia', '0x10de', '0x2684');
    assert.deepEqual(drmGpus(root), ['NVIDIA GPU 10de:2684 (driver nvidia)']);
    assert.deepEqual(webgpuAdapter('linux', root, noNvidia), { name: 'NVIDIA GPU 10de:2684 (driver nvidia) via Vulkan', software: false });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  assert.equal(webgpuAdapter('darwin').software, false);
  assert.equal(webgpuAdapter('win32').software, null);
});

const verdict = (over: Partial<SelfCheck>): SelfCheck => ({
  provider: 'webgpu',
  adapter: 'AMD GPU 1002:73bf (driver amdgpu) via Vulkan',
  onnxruntime: '1.30.0',
  build: 'b',
  ok: true,
  reason: null,
  maxErr: { swinir: 1e-6, hdit: 1e-5 },
  tolerance: 1e-3,
  seconds: { swinir: 0.05, hdit: 0.1 },
  cpuSeconds: { swinir: 1.6, hdit: 3 },
  placement: { swinir: { webgpu: 194 }, hdit: { webgpu: 517 } },
  checkedAt: '2026-12-02T10:00:00.000Z',
  ...over,
});

test('distrustReason: a wrong GPU is never used; a slower one is left out by auto only', () => {
  assert.equal(distrustReason(verdict({}), 'auto'), undefined);
  const wrong = verdict({ ok: false, reason: "the self-check's SwinIR output differs from the CPU's by 5.8e-1 (tolerance 1.0e-3)" });
  assert.equal(distrustReason(wrong, 'auto'), "webgpu: the self-check's SwinIR output differs from the CPU's by 5.8e-1 (tolerance 1.0e-3)");
  assert.equal(distrustReason(wrong, 'webgpu'), distrustReason(wrong, 'auto'));
  const slow = verdict({ seconds: { swinir: 7.1, hdit: 1.2 }, cpuSeconds: { swinir: 0.41, hdit: 0.37 } });
  assert.equal(distrustReason(slow, 'auto'), 'webgpu: slower than the CPU on this machine (self-check: 8.30 s for a SwinIR and an HDiT pass, 0.780 s on the CPU)');
  assert.equal(distrustReason(slow, 'webgpu'), undefined, 'asked for by name, a slow GPU is still used');
});

test("placementFromProfile counts each node once per provider from onnxruntime's profile", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-profile-'));
  try {
    const file = path.join(dir, 'p.json');
    const node = (name: string, provider: string) => ({ cat: 'Node', name: `${name}_kernel_time`, args: { provider, op_name: 'X' } });
    writeFileSync(file, JSON.stringify([{ cat: 'Session', name: 'model_loading_uri', args: {} }, node('Conv_1', 'WebGpuExecutionProvider'), node('Conv_1', 'WebGpuExecutionProvider'), node('Add', 'WebGpuExecutionProvider'), node('NonZero', 'CPUExecutionProvider')]));
    assert.deepEqual(placementFromProfile(file), { webgpu: 2, cpu: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
