/**
 * The GPU code path through onnxruntime-node's bundled WebGPU provider. In CI the adapter is
 * Mesa's lavapipe (software Vulkan, .ci/run installs it): slow, so only the tiny vectors and
 * one small photo run here. Without an adapter every test skips with the reason.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { parseArch } from '../../src-main/worker/inference/arch.ts';
import { runParityCheck } from '../../src-main/worker/inference/parity.ts';
import { createPmrfRestorer } from '../../src-main/worker/inference/pmrf-restorer.ts';
import { probeProvider } from '../../src-main/worker/inference/provider-probe.ts';
import { restorePhoto, type Settings } from '../../src-main/worker/pipeline/restore-photo.ts';
import { writeCpuVectors, writeFormulaCheckpoint } from '../helpers/formula-checkpoint.ts';
import { buildModels, checkpointRef } from '../../src-main/worker/inference/build.ts';
import { PmrfEngine } from '../../src-main/worker/inference/engine.ts';
import { trustGpu } from '../../src-main/worker/inference/gpu-trust.ts';
import { allChecks } from '../../src-main/worker/inference/self-check.ts';
import { OrtSession } from '../../src-main/worker/inference/session.ts';
import { projectFixtures, sharedPath } from '../helpers/shared.ts';

const tiny = path.join(projectFixtures, 'pmrf', 'tiny');
const tinyArch = parseArch(JSON.parse(readFileSync(path.join(tiny, 'meta.json'), 'utf8')), 'tiny meta.json');
const S = tinyArch.image_size;
const home = mkdtempSync(path.join(os.tmpdir(), 'heirloom-webgpu-'));
process.env.HEIRLOOM_HOME = home;
after(() => rmSync(home, { recursive: true, force: true }));

const probe = await probeProvider('webgpu');
const noAdapter = probe.loads ? false : `no WebGPU adapter here (${probe.reason}); install a Vulkan driver (Mesa's mesa-vulkan-drivers >= 24 gives a software one)`;
if (noAdapter) console.log(`# skipping the WebGPU tests: ${noAdapter}`);

const cache = () => mkdtempSync(path.join(home, 'cache-'));

test('tiny vectors through WebGPU in fp32: every stage within the parity tolerances, on webgpu', { skip: noAdapter }, async () => {
  const report = await runParityCheck(tiny, { precision: 'fp32', device: 'webgpu', cacheDir: cache() });
  for (const l of report.lines) console.log(`webgpu fp32 ${l.name}: ${l.maxAbsErr.toExponential(3)} (tol ${l.tolerance})`);
  assert.equal(report.provider, 'webgpu', `fell back: ${report.fallbackReason}`);
  assert.equal(report.fallbackReason, undefined);
  assert.ok(report.pass, report.lines.filter((l) => !l.pass).map((l) => l.name).join(', '));
});

test('tiny vectors through WebGPU in fp16 (MatMul, Conv, Add, Mul kept in float32): restored within 2e-2', { skip: noAdapter }, async () => {
  const report = await runParityCheck(tiny, { precision: 'fp16', device: 'webgpu', cacheDir: cache() });
  for (const l of report.lines) console.log(`webgpu fp16 ${l.name}: ${l.maxAbsErr.toExponential(3)}`);
  assert.equal(report.provider, 'webgpu', `fell back: ${report.fallbackReason}`);
  const restored = report.lines.find((l) => l.name === 'restored');
  assert.ok(restored !== undefined && restored.maxAbsErr <= 2e-2, `restored error ${restored?.maxAbsErr}`);
  assert.ok(report.pass);
});

/** SwinIR 30 channels (heads of 10 and 6 channels), HDiT widths 48/96: WebGPU's Conv once got this SwinIR wrong by 0.58. */
const OTHER = {
  hdit: { widths: [48, 96], depths: [1, 1], d_head: 16, kernel_size: 7, attn: ['neighborhood', 'global'], mapping_depth: 1, mapping_width: 64, patch_size: 4, d_ff_mult: 3 },
  swinir: { embed_dim: 30, depths: [2, 2], num_heads: [3, 5], window_size: 8, mlp_ratio: 2, unshuffle_scale: 8, img_size_tokens: 16 },
  image_size: 128,
};

test('another configuration (30-channel SwinIR, HDiT 48/96): WebGPU matches the CPU in fp32 and fp16', { skip: noAdapter }, async () => {
  const dir = path.join(home, 'other-config');
  await writeCpuVectors(dir, parseArch({ config: OTHER }, 'other config'), 2);
  for (const precision of ['fp32', 'fp16'] as const) {
    const report = await runParityCheck(dir, { precision, device: 'webgpu', cacheDir: cache() });
    for (const l of report.lines) console.log(`other config webgpu ${precision} ${l.name}: ${l.maxAbsErr.toExponential(3)}`);
    assert.equal(report.provider, 'webgpu');
    assert.ok(report.pass, `${precision}: ${report.lines.filter((l) => !l.pass).map((l) => `${l.name} ${l.maxAbsErr}`).join(', ')}`);
  }
});

test('self-check: a GPU is checked against the CPU once per model, and the verdict is cached', { skip: noAdapter }, async () => {
  const cacheDir = cache();
  const make = () => PmrfEngine.create({ checkpoint: tiny, arch: tinyArch, imageSize: S, device: 'webgpu', cacheDir });
  const first = await make();
  try {
    const check = first.selfCheck;
    assert.ok(check !== undefined, 'a verdict');
    console.log(`self-check: ${JSON.stringify(check)}`);
    assert.equal(first.provider, 'webgpu');
    assert.ok(check.ok && check.reason === null);
    assert.ok(check.maxErr.swinir < 1e-4 && check.maxErr.hdit < 1e-3, JSON.stringify(check.maxErr));
    assert.ok((check.placement.swinir.webgpu ?? 0) > 0 && (check.placement.hdit.webgpu ?? 0) > 0, 'nodes on WebGPU, from the profile');
    assert.equal(check.onnxruntime, '1.30.0');
    assert.ok(check.seconds.hdit > 0 && check.cpuSeconds.hdit > 0);
  } finally {
    await first.dispose();
  }
  const again = await make();
  try {
    assert.equal(again.selfCheck?.checkedAt, first.selfCheck?.checkedAt, 'the cached verdict, not a new check');
    assert.equal(allChecks(cacheDir).length, 1);
    assert.ok(!readdirSync(path.join(cacheDir, 'device-checks')).some((f) => f.startsWith('.profile')), 'profiles removed');
  } finally {
    await again.dispose();
  }
});

test('self-check: a GPU that computes wrong is replaced by the CPU, with the reason', { skip: noAdapter }, async (ctx) => {
  // The generic graph of the 30-channel SwinIR hits WebGPU's wrong Conv: a real faulty kernel.
  const dir = path.join(home, 'faulty');
  const arch = parseArch({ config: OTHER }, 'other config');
  await writeFormulaCheckpoint(dir, arch);
  const cacheDir = cache();
  const built = await buildModels(await checkpointRef(dir), { arch, imageSize: S, precision: 'fp32', target: 'generic', cacheDir });
  const prefix = path.join(cacheDir, 'p-');
  const gpu = {
    swinir: await OrtSession.create(built.files.swinir, { device: 'webgpu', profilePrefix: `${prefix}swinir` }),
    hdit: await OrtSession.create(built.files.hdit, { device: 'webgpu', profilePrefix: `${prefix}hdit` }),
  };
  const t = await trustGpu(gpu, { files: built.files, buildDir: built.dir, device: 'webgpu', imageSize: S, precision: 'fp32', cacheDir, profilePrefix: prefix });
  try {
    // An onnxruntime (or driver) whose Conv is right here leaves no faulty kernel to catch.
    if (t.check?.ok === true) return ctx.skip(`this onnxruntime's WebGPU Conv is right for 30 input channels (max |err| ${t.check.maxErr.swinir}): the workaround in build.ts may go`);
    console.log(`faulty kernel: ${t.fallbackReason}`);
    assert.equal(t.networks.hdit.provider, 'cpu');
    assert.equal(t.check?.ok, false);
    assert.match(t.fallbackReason ?? '', /^webgpu: the self-check's SwinIR output differs from the CPU's by [0-9.]+e-1 \(tolerance 1\.0e-3\)$/);
  } finally {
    await t.networks.swinir.dispose();
    await t.networks.hdit.dispose();
  }
});

const photos = sharedPath('fixtures', 'photos');

test('a whole photo restored through WebGPU matches the CPU result', { skip: noAdapter || photos.skip }, async () => {
  // Four small faces: one model call on the GPU (8 a call) against two on the CPU (2 a call).
  const src = path.join(photos.path, 'group-office-4.jpg');
  const settings: Settings = { steps: 2, fidelity: 1, sampler: 'euler', strength: 1, consistency: 0, seed: 7, scale: 1, format: 'png', quality: 92 };
  const restorer = (device: 'cpu' | 'webgpu') => createPmrfRestorer({ model: tiny, arch: path.join(tiny, 'meta.json'), device, imageSize: S, cacheDir: cache() });
  const cpu = await restorer('cpu');
  const gpu = await restorer('webgpu');
  try {
    assert.match(gpu.description, / on webgpu$/);
    const a = await restorePhoto(src, path.join(home, 'cpu.png'), cpu, settings);
    assert.ok(a.faces.length >= 4, `${a.faces.length} faces found`);
    const b = await restorePhoto(src, path.join(home, 'gpu.png'), gpu, settings, { faces: a.faces });
    const [pa, pb] = await Promise.all([a.outputPath, b.outputPath].map((p) => sharp(p).raw().toBuffer()));
    assert.equal(pa.length, pb.length);
    let worst = 0;
    let changed = 0;
    for (let i = 0; i < pa.length; i++) {
      worst = Math.max(worst, Math.abs(pa[i] - pb[i]));
      if (pa[i] !== pb[i]) changed++;
    }
    console.log(`whole photo: max difference ${worst}/255, ${changed} of ${pa.length} values differ`);
    // fp32 parity is ~1e-5 on [0,1]: at most a rounding step of the 8-bit output.
    assert.ok(worst <= 1, `WebGPU differs from the CPU by ${worst}/255`);
    // the photo was restored at all (a restorer that returns its input would also match)
    const orig = await sharp(src).removeAlpha().raw().toBuffer();
    let moved = 0;
    for (let i = 0; i < orig.length; i++) moved = Math.max(moved, Math.abs(orig[i] - pa[i]));
    assert.ok(moved > 8, 'the faces were changed by the model');
  } finally {
    await cpu.dispose();
    await gpu.dispose();
  }
});
