import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { parseArch } from '../../src-main/worker/inference/arch.ts';
import { checkpointRef } from '../../src-main/worker/inference/build.ts';
import { PmrfEngine } from '../../src-main/worker/inference/engine.ts';
import { createPmrfRestorer } from '../../src-main/worker/inference/pmrf-restorer.ts';
import { resolveModel } from '../../src-main/models/manager.ts';
import { runParityCheck } from '../../src-main/worker/inference/parity.ts';
import { flowStart } from '../../src-main/worker/inference/sampler-check.ts';
import { integrate } from '../../src-main/worker/inference/samplers.ts';
import { openSafetensors } from '../../src-main/checkpoint/safetensors.ts';
import { writeSafetensors, type TensorToWrite } from '../../src-main/checkpoint/safetensors-writer.ts';
import { UserError } from '../../src-main/util/errors.ts';
import { projectFixtures, repoRoot } from '../helpers/shared.ts';

const tiny = path.join(projectFixtures, 'pmrf', 'tiny');
const arch = parseArch(JSON.parse(readFileSync(path.join(tiny, 'meta.json'), 'utf8')), 'tiny meta.json');
const S = arch.image_size;

// Hash memo and build cache go to a temp folder, never to the user's.
const home = mkdtempSync(path.join(os.tmpdir(), 'heirloom-pmrf-'));
process.env.HEIRLOOM_HOME = home;
process.on('exit', () => rmSync(home, { recursive: true, force: true }));

function readBin(name: string): Float32Array {
  const b = readFileSync(path.join(tiny, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function freshCache(): string {
  return mkdtempSync(path.join(home, 'cache-'));
}

function engine(cacheDir: string, imageSize = S, checkpoint = tiny): Promise<PmrfEngine> {
  return PmrfEngine.create({ checkpoint, arch, imageSize, precision: 'fp32', device: 'cpu', cacheDir, threads: 1 });
}

test('tiny vectors: fp32 engine reproduces every stage within the README tolerances', async () => {
  const report = await runParityCheck(tiny, { precision: 'fp32', device: 'cpu', cacheDir: freshCache() });
  for (const l of report.lines) console.log(`fp32 ${l.name}: ${l.maxAbsErr.toExponential(3)} (tol ${l.tolerance})`);
  assert.deepEqual(
    report.lines.map((l) => l.name),
    ['noise (formula)', 'mmse_raw', 'x_0', 'v_probe_t0.3', 'x_1', 'x_2', 'x_3', 'x_4', 'restored'],
  );
  assert.ok(report.pass, report.lines.filter((l) => !l.pass).map((l) => l.name).join(', '));
  assert.equal(report.provider, 'cpu');
});

test('tiny vectors: fp16 engine stays below 2e-2 on restored', async () => {
  const report = await runParityCheck(tiny, { precision: 'fp16', device: 'cpu', cacheDir: freshCache() });
  for (const l of report.lines) console.log(`fp16 ${l.name}: ${l.maxAbsErr.toExponential(3)}`);
  const restored = report.lines.find((l) => l.name === 'restored');
  assert.ok(restored !== undefined && restored.maxAbsErr < 2e-2, `restored error ${restored?.maxAbsErr}`);
  assert.ok(report.pass);
});

test('a checkpoint with missing and misshaped tensors fails with one error listing every problem', async () => {
  const dir = mkdtempSync(path.join(home, 'bad-'));
  const src = await openSafetensors(path.join(tiny, 'checkpoint.safetensors'));
  const drop = new Set(['mmse_model.conv_last.bias', 'model.out_norm.scale']);
  const reshapeName = 'mmse_model.layers.0.residual_group.blocks.0.attn.qkv.weight';
  const tensors: TensorToWrite[] = [];
  for (const info of src.list()) {
    if (drop.has(info.name)) continue;
    const data = await src.read(info.name);
    const shape = info.name === reshapeName ? [info.shape[1], info.shape[0]] : info.shape;
    tensors.push({ name: info.name, dtype: info.dtype, shape, data });
  }
  await src.close();
  assert.ok(tensors.length === src.list().length - 2, 'both dropped tensors exist in the tiny checkpoint');
  const file = path.join(dir, 'bad.safetensors');
  await writeSafetensors(file, tensors);
  await assert.rejects(engine(freshCache(), S, file), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, /\(3 problems\)/);
    for (const name of [...drop, reshapeName]) assert.ok(err.message.includes(name), `${name} in: ${err.message}`);
    return true;
  });
});

test('the build cache is reused, and a damaged entry is rebuilt', async () => {
  const cacheDir = freshCache();
  const y = readBin('y.bin');
  const first = await engine(cacheDir);
  assert.equal(first.built.reused, false);
  const want = await first.runSwinir(y, 1);
  await first.dispose();

  const second = await engine(cacheDir);
  assert.equal(second.built.reused, true);
  assert.equal(second.built.dir, first.built.dir);
  await second.dispose();

  // a truncated weights file (size mismatch) is detected before loading
  truncateSync(path.join(first.built.dir, 'swinir.weights'), 100);
  const third = await engine(cacheDir);
  assert.equal(third.built.reused, false);
  assert.deepEqual(await third.runSwinir(y, 1), want);
  await third.dispose();

  // garbage of the right size passes the size check but fails to load: rebuilt too
  const onnx = path.join(first.built.dir, 'hdit.onnx');
  writeFileSync(onnx, Buffer.alloc(statSync(onnx).size, 0xab));
  const statuses: string[] = [];
  const fourth = await PmrfEngine.create({ checkpoint: tiny, arch, imageSize: S, device: 'cpu', cacheDir, threads: 1, onStatus: (m) => statuses.push(m) });
  assert.equal(fourth.built.reused, false);
  assert.ok(statuses.some((m) => m.includes('failed to load')), statuses.join('\n'));
  const v = await fourth.runHdit(readBin('x_0.bin'), 0.3, 1);
  assert.ok(v.every(Number.isFinite));
  await fourth.dispose();
});

test('same seed gives the same faces, another seed different ones; batch faces use their own seeds', async () => {
  const e = await engine(freshCache());
  try {
    const y = readBin('y.bin');
    const a = await e.restoreFaces(y, 1, { mode: 'flow', steps: 2, seed: 7 });
    const b = await e.restoreFaces(y, 1, { mode: 'flow', steps: 2, seed: 7 });
    const c = await e.restoreFaces(y, 1, { mode: 'flow', steps: 2, seed: 8 });
    assert.deepEqual(a.restored, b.restored);
    assert.notDeepEqual(a.restored, c.restored);
    assert.deepEqual(a.mean, c.mean);
    // a batch of two faces with seeds 7 and 8 gives each face its single-face result
    const batch = new Float32Array(2 * y.length);
    batch.set(y);
    batch.set(y, y.length);
    const ab = await e.restoreFaces(batch, 2, { mode: 'flow', steps: 2, seeds: [7, 8] });
    const maxDiff = (p: Float32Array, q: Float32Array) => p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i])), 0);
    assert.ok(maxDiff(ab.restored.subarray(0, y.length), a.restored) < 1e-5);
    assert.ok(maxDiff(ab.restored.subarray(y.length), c.restored) < 1e-5);
    // 'mean' mode returns the clipped posterior mean
    const m = await e.restoreFaces(y, 1, { mode: 'mean', steps: 2 });
    assert.deepEqual(m.restored, a.mean);
    const ref = readBin('mmse_raw.bin').map((v) => Math.min(1, Math.max(0, v)));
    assert.ok(maxDiff(m.mean, ref) < 1e-4);
    // an aborted signal stops before the next network call
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(e.restoreFaces(y, 1, { mode: 'flow', steps: 2, seed: 1, signal: ac.signal }), { name: 'AbortError' });
  } finally {
    await e.dispose();
  }
});

test("samplers on the tiny engine: euler is bit-identical to PMRF's loop; each counts the evaluations it made", async () => {
  const e = await engine(freshCache());
  try {
    const noise = readBin('noise.bin');
    const mean = readBin('mmse_raw.bin').map((v) => Math.min(1, Math.max(0, v)));
    // PMRF's Euler loop written out: x <- x + (1/K) v(x, i/K).
    const K = 3;
    const x = mean.map((m, j) => m + 0.1 * noise[j]);
    for (let i = 0; i < K; i++) {
      const v = await e.runHdit(x, i / K, 1);
      for (let j = 0; j < x.length; j++) x[j] += (1 / K) * v[j];
    }
    const loop = x.map((v) => Math.min(1, Math.max(0, v)));
    const euler = await e.flowFrom(mean, 1, { steps: K, noise });
    assert.deepEqual(euler.restored, loop);
    assert.equal(euler.evaluations, K);
    const before = e.evaluations;
    const heun = await e.flowFrom(mean, 1, { steps: 5, noise, sampler: 'heun' });
    assert.equal(heun.evaluations, 4, 'heun: two steps of two evaluations within a budget of 5');
    const ms = await e.flowFrom(mean, 1, { steps: 3, noise, sampler: 'multistep2' });
    assert.equal(ms.evaluations, 3);
    assert.equal(e.evaluations - before, 7);
    assert.notDeepEqual(ms.restored, euler.restored);
    // A later start (strength 0.5) spends half the budget and stays nearer the mean.
    const late = await e.flowFrom(mean, 1, { steps: 4, noise, start: 0.5 });
    assert.equal(late.evaluations, 2);
    const full = await e.flowFrom(mean, 1, { steps: 4, noise });
    const dist = (a: Float32Array) => Math.sqrt(a.reduce((s, v, j) => s + (v - mean[j]) ** 2, 0));
    assert.ok(dist(late.restored) < dist(full.restored), `strength 0.5 nearer the mean (${dist(late.restored)} vs ${dist(full.restored)})`);
  } finally {
    await e.dispose();
  }
});

test('tiny built at 256 px (computed attention masks) gives finite faces in [0,1]', async () => {
  const e = await engine(freshCache(), 256);
  try {
    const y = new Float32Array(3 * 256 * 256).map((_, i) => 0.5 + 0.4 * Math.sin(i * 0.013));
    const { restored, mean } = await e.restoreFaces(y, 1, { mode: 'flow', steps: 2, seed: 3 });
    for (const arr of [restored, mean]) assert.ok(arr.every((v) => Number.isFinite(v) && v >= 0 && v <= 1));
    assert.ok(restored.some((v, i) => v !== mean[i]), 'the flow changes the posterior mean');
  } finally {
    await e.dispose();
  }
  await assert.rejects(engine(freshCache(), 100), /multiple of 64/);
});

test('checkpointRef identifies content: a copy has the same id', async () => {
  const dir = mkdtempSync(path.join(home, 'copy-'));
  const copy = path.join(dir, 'c.safetensors');
  copyFileSync(path.join(tiny, 'checkpoint.safetensors'), copy);
  const a = await checkpointRef(copy);
  const b = await checkpointRef(path.join(tiny, 'checkpoint.safetensors'));
  assert.equal(a.id, b.id);
  assert.notEqual((await checkpointRef(tiny)).id, a.id, 'a vectors folder is keyed separately');
});

test('heirloom pmrf-check prints one line per stage and exits 0 on the tiny vectors', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'heirloom.mjs'), 'pmrf-check', ...args], { encoding: 'utf8', env: { ...process.env, HEIRLOOM_HOME: home } });
  const ok = cli(tiny, '--cache-dir', freshCache());
  assert.equal(ok.status, 0, ok.stderr);
  for (const stage of ['mmse_raw', 'x_0', 'v_probe_t0.3', 'x_4', 'restored']) assert.match(ok.stdout, new RegExp(`${stage.replace('.', '\\.')} +max\\|err\\| .* PASS`));
  assert.match(ok.stdout, /provider cpu/);
  assert.match(ok.stdout, /\nPASS\n/);
  const bad = cli(tiny, '--precision', 'int8');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--precision must be one of fp32, fp16/);
  const notVectors = cli(path.join(tiny, 'nowhere'));
  assert.equal(notVectors.status, 2);
  assert.match(notVectors.stderr, /nowhere/);
});

test('heirloom sampler-check --json on the tiny vectors: the issue\'s shape, errors fall with evaluations, guidance bounded and λ = 0 exact', () => {
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'bin', 'heirloom.mjs'), 'sampler-check', tiny, '--json', '--reference-steps', '32', '--evals', '4,16', '--cache-dir', freshCache()],
    { encoding: 'utf8', env: { ...process.env, HEIRLOOM_HOME: home } },
  );
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    samplers: { name: string; evalsPerStep: number; points: { evals: number; err: number }[]; order: number }[];
    guidance: { lambda: number; consistency: number; maxAbs: number }[];
    lambda0Diff: number;
  };
  assert.deepEqual(Object.keys(report), ['samplers', 'guidance', 'lambda0Diff']);
  assert.deepEqual(report.samplers.map((s) => [s.name, s.evalsPerStep, s.points.map((p) => p.evals)]), [
    ['euler', 1, [4, 16]],
    ['heun', 2, [4, 16]],
    ['multistep2', 1, [4, 16]],
  ]);
  for (const s of report.samplers) {
    assert.ok(s.points[1].err < s.points[0].err, `${s.name}: more evaluations, smaller error`);
    assert.ok(Number.isFinite(s.order) && s.order > 0.5, `${s.name} order ${s.order}`);
  }
  assert.deepEqual(report.guidance.map((g) => g.lambda), [0, 1, 4, 16, 1e4]);
  for (let i = 1; i < report.guidance.length; i++) assert.ok(report.guidance[i].consistency < report.guidance[i - 1].consistency);
  assert.ok(report.guidance.every((g) => g.maxAbs < 10), 'bounded at every λ');
  assert.ok(report.guidance.at(-1)!.consistency < 1e-4);
  assert.equal(report.lambda0Diff, 0);
});

test("sampler-check on a model and a face starts where a restore starts: euler from its x_0 is the engine's own flow", async () => {
  const e = await engine(freshCache());
  try {
    const y = readBin('y.bin');
    const x = await flowStart(e, y, 7);
    await integrate('euler', x, (state, t) => e.runHdit(state, t, 1), { evaluations: 3 });
    const own = await e.restoreFaces(y, 1, { steps: 3, seed: 7, mode: 'flow' });
    assert.deepEqual(x.map((v) => Math.min(1, Math.max(0, v))), own.restored);
  } finally {
    await e.dispose();
  }
});

test('heirloom sampler-check --face --model: the same report from a checkpoint and one aligned face; vectors and --face are not mixed', async () => {
  // The tiny vectors' y as an 8-bit PNG: any square face is resized to the model's size.
  const y = readBin('y.bin');
  const rgb = Buffer.alloc(S * S * 3);
  for (let c = 0; c < 3; c++) for (let i = 0; i < S * S; i++) rgb[i * 3 + c] = Math.round(255 * y[c * S * S + i]);
  const dir = mkdtempSync(path.join(home, 'face-'));
  const face = path.join(dir, 'face.png');
  await sharp(rgb, { raw: { width: S, height: S, channels: 3 } }).resize(2 * S, 2 * S).png().toFile(face);
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'heirloom.mjs'), 'sampler-check', ...args, '--cache-dir', freshCache()], {
      encoding: 'utf8',
      env: { ...process.env, HEIRLOOM_HOME: home },
    });
  const r = run('--face', face, '--model', tiny, '--arch', path.join(tiny, 'meta.json'), '--json', '--reference-steps', '16', '--evals', '4,16');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { samplers: { name: string; points: { evals: number; err: number }[] }[]; lambda0Diff: number };
  assert.deepEqual(report.samplers.map((s) => s.name), ['euler', 'heun', 'multistep2']);
  for (const s of report.samplers) assert.ok(s.points[1].err < s.points[0].err, `${s.name}: more evaluations, smaller error`);
  assert.equal(report.lambda0Diff, 0);
  const both = run(tiny, '--face', face);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /either a vectors folder or --face/);
  const neither = run();
  assert.equal(neither.status, 2);
  assert.match(neither.stderr, /give a vectors folder, or --face/);
});

test('createPmrfRestorer restores a face batch with per-face seeds, and explains a missing model', async () => {
  const restorer = await createPmrfRestorer({ model: tiny, arch: path.join(tiny, 'meta.json'), device: 'cpu', imageSize: S, cacheDir: freshCache() });
  try {
    assert.equal(restorer.faceSize, S);
    assert.match(restorer.description, /on cpu/);
    const y = readBin('y.bin');
    const batch = new Float32Array(2 * y.length);
    batch.set(y);
    batch.set(y, y.length);
    const out = await restorer.restore(batch, 2, { steps: 2, seed: 5, fidelity: 1 });
    assert.equal(out.restored.length, batch.length);
    assert.ok(out.restored.every((v) => v >= 0 && v <= 1));
    // face i uses seed + i: the two copies of one face get different noise
    assert.notDeepEqual(out.restored.subarray(0, y.length), out.restored.subarray(y.length));
    // Fidelity 0 everywhere: the posterior mean, and the flow does not run.
    const faithful = await restorer.restore(y, 1, { steps: 2, seed: 6, fidelity: 0 });
    assert.deepEqual(faithful.restored, faithful.mean);
    const single = await restorer.restore(y, 1, { steps: 2, seed: 6, fidelity: 1 });
    const diff = single.restored.reduce((m, v, i) => Math.max(m, Math.abs(v - out.restored[y.length + i])), 0);
    assert.ok(diff < 1e-5, `face 1 of a batch with seed 5 = a single face with seed 6 (diff ${diff})`);
  } finally {
    await restorer.dispose();
  }

  // Five faces in calls of at most 2 give what one call of 5 gives, face for face (own seeds).
  const chunked = await createPmrfRestorer({ model: tiny, arch: path.join(tiny, 'meta.json'), device: 'cpu', imageSize: S, cacheDir: freshCache(), maxFacesPerCall: 2 });
  const whole = await createPmrfRestorer({ model: tiny, arch: path.join(tiny, 'meta.json'), device: 'cpu', imageSize: S, cacheDir: freshCache(), maxFacesPerCall: 5 });
  try {
    const y = readBin('y.bin');
    const five = new Float32Array(5 * y.length);
    for (let i = 0; i < 5; i++) five.set(y.map((v) => Math.min(1, v * (0.8 + 0.05 * i))), i * y.length);
    const opts = { steps: 2, seed: 9, seeds: [9, 3, 77, 4, 12], fidelity: 1 };
    const a = await chunked.restore(five, 5, opts);
    const b = await whole.restore(five, 5, opts);
    for (const k of ['restored', 'mean'] as const) {
      const d = a[k].reduce((m, v, i) => Math.max(m, Math.abs(v - b[k][i])), 0);
      assert.ok(d < 1e-5, `${k}: chunked vs whole max diff ${d}`);
    }
    const noSeeds = await chunked.restore(five, 5, { steps: 1, seed: 40, fidelity: 1 });
    const noSeedsWhole = await whole.restore(five, 5, { steps: 1, seed: 40, fidelity: 1 });
    assert.ok(noSeeds.restored.reduce((m, v, i) => Math.max(m, Math.abs(v - noSeedsWhole.restored[i])), 0) < 1e-5, 'face i uses seed + i in any chunk');
  } finally {
    await chunked.dispose();
    await whole.dispose();
  }
  const saved = { home: process.env.HEIRLOOM_HOME, hf: process.env.HF_HOME, model: process.env.HEIRLOOM_MODEL, hub: process.env.HF_HUB_CACHE };
  const empty = mkdtempSync(path.join(home, 'empty-'));
  Object.assign(process.env, { HEIRLOOM_HOME: empty, HF_HOME: empty });
  delete process.env.HEIRLOOM_MODEL;
  delete process.env.HF_HUB_CACHE;
  try {
    // The CLI and the app resolve the installed model before a restorer is made.
    await assert.rejects(resolveModel(), (err: unknown) => err instanceof UserError && /heirloom models install/.test(err.message));
  } finally {
    for (const [k, v] of [['HEIRLOOM_HOME', saved.home], ['HF_HOME', saved.hf], ['HEIRLOOM_MODEL', saved.model], ['HF_HUB_CACHE', saved.hub]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
