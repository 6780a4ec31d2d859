/**
 * Samplers and fidelity settings at equal network evaluations, on aligned faces degraded by a
 * fixed recipe (issue 10, item 6). Numbers only, no verdicts.
 *
 *   node --import tsx bench/samplers.ts [--model <checkpoint or vectors dir>] [--arch <preset|meta.json>]
 *     [--face-size <px>] [--evals 4] [--seeds 3] [--device cpu]
 *
 * Faces: the aligned fixtures (shared/fixtures/aligned), each taken as the reference, toned
 * colour / gray / sepia in turn, then degraded: Gaussian blur (sigma 1.5 at 512), downscale by
 * 4, Gaussian noise (sigma 0.02), JPEG quality 50, upscale back (cubic). The fixtures are
 * themselves not sharp (PMRF's demo inputs), so the reference is "the face before this recipe".
 * Units = face x seed; every row uses the same units (paired seeds).
 *
 * Per row (sampler and setting at a budget of K evaluations): mean and bootstrap 95 % interval of
 *   - PSNR (dB) against the reference, RGB in [0, 1];
 *   - PSNR at the degraded resolution (both averaged over 4x4 blocks): agreement with the photo;
 *   - identity cosine: face-api's recognition net (shipped in npm) on the central face crop of
 *     the restored and the reference face;
 *   - SWD: sliced Wasserstein distance (x1e3) between 7x7 patches of the luminance's Laplacian
 *     (two levels) of the restored and the reference face: a perception score with no extra weights
 *     (lower = closer patch statistics);
 * and for PSNR and SWD the paired difference to the first row with its interval.
 *
 * With the formula or tiny test weights (the default: tests/fixtures/pmrf/tiny at 128 px) the
 * network is random: the numbers only show that the bench runs. Run it with the published
 * checkpoint (--model ~/.../model.safetensors --face-size 512) on a GPU or a patient CPU.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DEVICES, type Device, SAMPLERS, flowEvaluations } from '../src-shared/settings.ts';
import { gaussianNoise } from '../src-main/worker/inference/noise.ts';
import { createPmrfRestorer } from '../src-main/worker/inference/pmrf-restorer.ts';
import type { RestoreOptions } from '../src-main/worker/pipeline/face-restorer.ts';
import { restoreFaces } from '../src-main/worker/pipeline/restore-faces.ts';
import { loadDetector } from '../src-main/worker/pipeline/face-models.ts';
import { rng } from '../tests/helpers/synthetic-damage.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const tiny = path.join(repoRoot, 'tests', 'fixtures', 'pmrf', 'tiny');
const model = argValue('--model') ?? tiny;
const arch = argValue('--arch') ?? (model === tiny ? path.join(tiny, 'meta.json') : undefined);
const S = Number(argValue('--face-size') ?? (model === tiny ? 128 : 512));
const K = Number(argValue('--evals') ?? 4);
const seedCount = Number(argValue('--seeds') ?? 3);
const device = (argValue('--device') ?? 'cpu') as Device;
if (!DEVICES.includes(device)) throw new Error(`--device must be one of ${DEVICES.join(', ')}`);
const sharedDir = process.env.HEIRLOOM_SHARED ?? path.resolve(repoRoot, '..', 'shared');
const alignedDir = path.join(sharedDir, 'fixtures', 'aligned');
if (!existsSync(alignedDir)) throw new Error(`${alignedDir} not found (set HEIRLOOM_SHARED)`);
const testWeights = statSync(model).isDirectory();

const DOWN = 4;
const BOOT = 1000;

// ---------- faces ----------

type Tone = 'colour' | 'gray' | 'sepia';

/** [3,S,S] float in [0,1] from interleaved 8-bit RGB. */
function planar(rgb: Buffer, size: number): Float32Array {
  const out = new Float32Array(3 * size * size);
  for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) out[c * size * size + p] = rgb[p * 3 + c] / 255;
  return out;
}

function interleaved(x: Float32Array, size: number): Buffer {
  const out = Buffer.alloc(3 * size * size);
  for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round(255 * Math.min(1, Math.max(0, x[c * size * size + p])));
  return out;
}

function toned(x: Float32Array, size: number, tone: Tone): Float32Array {
  if (tone === 'colour') return x;
  const plane = size * size;
  const out = new Float32Array(x.length);
  const tint = tone === 'gray' ? [1, 1, 1] : [1.07, 0.95, 0.78];
  for (let p = 0; p < plane; p++) {
    const l = 0.299 * x[p] + 0.587 * x[plane + p] + 0.114 * x[2 * plane + p];
    for (let c = 0; c < 3; c++) out[c * plane + p] = Math.min(1, l * tint[c]);
  }
  return out;
}

async function degrade(ref: Float32Array, size: number, seed: number): Promise<Float32Array> {
  const raw = { raw: { width: size, height: size, channels: 3 as const } };
  const small = Math.round(size / DOWN);
  const low = await sharp(interleaved(ref, size), raw)
    .blur(Math.max(0.3, (1.5 * size) / 512))
    .resize(small, small, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  const noise = gaussianNoise(seed, low.length);
  const noisy = Buffer.from(low.map((v, i) => Math.round(Math.min(255, Math.max(0, v + 255 * 0.02 * noise[i])))));
  const jpeg = await sharp(noisy, { raw: { width: small, height: small, channels: 3 } }).jpeg({ quality: 50 }).toBuffer();
  const up = await sharp(jpeg).resize(size, size, { kernel: 'cubic' }).removeAlpha().raw().toBuffer();
  return planar(up, size);
}

// ---------- metrics ----------

function psnr(a: Float32Array, b: Float32Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (Math.min(1, Math.max(0, a[i])) - b[i]) ** 2;
  return 10 * Math.log10(1 / (se / a.length));
}

function blockMean(x: Float32Array, size: number, r: number): Float32Array {
  const B = Math.floor(size / r);
  const out = new Float32Array(3 * B * B);
  for (let c = 0; c < 3; c++)
    for (let by = 0; by < B; by++)
      for (let bx = 0; bx < B; bx++) {
        let s = 0;
        for (let y = 0; y < r; y++) for (let xx = 0; xx < r; xx++) s += x[c * size * size + (by * r + y) * size + bx * r + xx];
        out[c * B * B + by * B + bx] = s / (r * r);
      }
  return out;
}

function luminance(x: Float32Array, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(plane);
  for (let p = 0; p < plane; p++) out[p] = 0.299 * x[p] + 0.587 * x[plane + p] + 0.114 * x[2 * plane + p];
  return out;
}

/** 2x2 mean downsample. */
function half(l: Float32Array, size: number): Float32Array {
  const h = size / 2;
  const out = new Float32Array(h * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < h; x++) out[y * h + x] = (l[2 * y * size + 2 * x] + l[2 * y * size + 2 * x + 1] + l[(2 * y + 1) * size + 2 * x] + l[(2 * y + 1) * size + 2 * x + 1]) / 4;
  return out;
}

/** Laplacian level: the image minus its 2x2 mean upsampled back (nearest). */
function laplacian(l: Float32Array, size: number): { band: Float32Array; next: Float32Array } {
  const next = half(l, size);
  const h = size / 2;
  const band = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) band[y * size + x] = l[y * size + x] - next[(y >> 1) * h + (x >> 1)];
  return { band, next };
}

const PATCH = 7;
const PATCHES = 1024;
const SLICES = 64;

function patches(band: Float32Array, size: number, rand: () => number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let k = 0; k < PATCHES; k++) {
    const x0 = Math.floor(rand() * (size - PATCH));
    const y0 = Math.floor(rand() * (size - PATCH));
    const p = new Float32Array(PATCH * PATCH);
    for (let y = 0; y < PATCH; y++) for (let x = 0; x < PATCH; x++) p[y * PATCH + x] = band[(y0 + y) * size + x0 + x];
    out.push(p);
  }
  return out;
}

/** Sliced Wasserstein-1 between two equal-size patch sets, averaged over random directions. */
function swd(a: Float32Array[], b: Float32Array[], rand: () => number): number {
  let total = 0;
  for (let s = 0; s < SLICES; s++) {
    const dir = new Float32Array(PATCH * PATCH);
    let norm = 0;
    for (let i = 0; i < dir.length; i++) {
      // Box-Muller direction: uniform on the sphere after normalising.
      dir[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      norm += dir[i] ** 2;
    }
    norm = Math.sqrt(norm);
    const proj = (set: Float32Array[]) => set.map((p) => p.reduce((acc, v, i) => acc + v * dir[i], 0) / norm).sort((x, y) => x - y);
    const pa = proj(a);
    const pb = proj(b);
    let d = 0;
    for (let i = 0; i < pa.length; i++) d += Math.abs(pa[i] - pb[i]);
    total += d / pa.length;
  }
  return total / SLICES;
}

function perception(restored: Float32Array, reference: Float32Array, size: number, seed: number): number {
  let la = luminance(restored.map((v) => Math.min(1, Math.max(0, v))), size);
  let lb = luminance(reference, size);
  let s = size;
  let total = 0;
  for (let level = 0; level < 2; level++) {
    const a = laplacian(la, s);
    const b = laplacian(lb, s);
    const posA = rng(seed * 7 + level);
    const posB = rng(seed * 7 + level + 1000);
    total += swd(patches(a.band, s, posA), patches(b.band, s, posB), rng(seed * 13 + level));
    la = a.next;
    lb = b.next;
    s /= 2;
  }
  return (1e3 * total) / 2;
}

// ---------- identity ----------

type FaceApi = typeof import('@vladmandic/face-api');

async function identityNet(): Promise<{ descriptor: (x: Float32Array, size: number) => Promise<Float32Array> }> {
  const { faceapi, tf } = await loadDetector();
  const require = createRequire(import.meta.url);
  const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await (faceapi as FaceApi).nets.faceRecognitionNet.loadFromDisk(modelDir);
  return {
    async descriptor(x: Float32Array, size: number): Promise<Float32Array> {
      // The central face of the FFHQ layout (eyes at y ~ 0.47, mouth ~ 0.7 of the side).
      const x0 = Math.round(0.2 * size);
      const y0 = Math.round(0.25 * size);
      const side = Math.round(0.6 * size);
      const rgb = interleaved(x, size);
      const crop = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } }).extract({ left: x0, top: y0, width: side, height: side }).resize(150, 150).raw().toBuffer();
      const t = tf.tensor3d(new Uint8Array(crop), [150, 150, 3], 'int32');
      try {
        return (await (faceapi as FaceApi).nets.faceRecognitionNet.computeFaceDescriptor(t as never)) as Float32Array;
      } finally {
        t.dispose();
      }
    },
  };
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

// ---------- bootstrap ----------

function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

/** Mean and 95 % percentile bootstrap interval over units (the same resamples for every row). */
function interval(values: readonly number[], resamples: readonly number[][]): [number, number, number] {
  const means = resamples.map((idx) => mean(idx.map((i) => values[i]))).sort((a, b) => a - b);
  return [mean(values), means[Math.floor(0.025 * means.length)], means[Math.ceil(0.975 * means.length) - 1]];
}

// ---------- main ----------

interface Row {
  label: string;
  options: Omit<RestoreOptions, 'seed' | 'seeds'>;
}

const rows: Row[] = [
  ...SAMPLERS.map((sampler): Row => ({ label: `${sampler}, fidelity 1`, options: { steps: K, sampler, fidelity: 1 } })),
  { label: 'euler, fidelity 0.5 (blend)', options: { steps: K, sampler: 'euler', fidelity: 0.5 } },
  { label: 'euler, strength 0.5', options: { steps: K, sampler: 'euler', fidelity: 1, strength: 0.5 } },
  { label: 'posterior mean (fidelity 0)', options: { steps: K, fidelity: 0 } },
  { label: 'euler, consistency 4', options: { steps: K, sampler: 'euler', fidelity: 1 } },
];

function evaluationsOf(o: Row['options']): number {
  return flowEvaluations({ steps: K, sampler: o.sampler ?? 'euler', strength: o.strength ?? 1, fidelity: o.fidelity });
}

async function main(): Promise<void> {
  const files = readdirSync(alignedDir).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
  const tones: Tone[] = ['colour', 'gray', 'sepia'];
  const refs: Float32Array[] = [];
  const degraded: Float32Array[] = [];
  for (const [i, f] of files.entries()) {
    const rgb = await sharp(path.join(alignedDir, f)).removeAlpha().resize(S, S, { kernel: 'lanczos3' }).raw().toBuffer();
    const ref = toned(planar(rgb, S), S, tones[i % tones.length]);
    refs.push(ref);
    degraded.push(await degrade(ref, S, 1000 + i));
  }
  const n = refs.length;
  const per = 3 * S * S;
  const batch = new Float32Array(n * per);
  degraded.forEach((d, i) => batch.set(d, i * per));

  const home = mkdtempSync(path.join(os.tmpdir(), 'heirloom-bench-samplers-'));
  process.env.HEIRLOOM_HOME ??= home;
  const restorer = await createPmrfRestorer({ model, arch, device, imageSize: S, cacheDir: path.join(home, 'cache') });
  const ident = await identityNet();
  const refDesc = await Promise.all(refs.map((r) => ident.descriptor(r, S)));
  // Every face was downscaled by 4: it is 4 times smaller than the crop, compared over 8x8 blocks.
  const guided = { lambda: 4, faces: refs.map(() => ({ block: 2 * DOWN, luma: false })) };

  console.log(`bench/samplers: ${n} aligned faces x ${seedCount} seeds at ${S} px, budget K = ${K} evaluations; ${restorer.description}`);
  console.log(`degradation: blur, downscale ${DOWN}x, noise 0.02, JPEG 50, upscale; tones ${tones.join('/')} in turn`);
  if (testWeights) console.log('NOTE: test/formula weights (a random network): these numbers only show that the bench runs; they say nothing about image quality.');

  type Metrics = { psnr: number[]; psnrLow: number[]; identity: number[]; swd: number[]; seconds: number };
  const results: Metrics[] = [];
  for (const row of rows) {
    const m: Metrics = { psnr: [], psnrLow: [], identity: [], swd: [], seconds: 0 };
    for (let s = 0; s < seedCount; s++) {
      const seeds = refs.map((_, i) => 7919 * s + i);
      const t0 = performance.now();
      const aligned = { faces: batch, n, size: S, transforms: [] };
      const consistency = row.label.includes('consistency') ? { consistency: guided } : {};
      const out = await restoreFaces(restorer, aligned, { ...row.options, ...consistency, seed: seeds[0], seeds });
      m.seconds += (performance.now() - t0) / 1000;
      for (let i = 0; i < n; i++) {
        const x = out.restored.subarray(i * per, (i + 1) * per);
        m.psnr.push(psnr(x, refs[i]));
        m.psnrLow.push(psnr(blockMean(x, S, DOWN), blockMean(refs[i], S, DOWN)));
        m.identity.push(cosine(await ident.descriptor(x, S), refDesc[i]));
        m.swd.push(perception(x, refs[i], S, i));
      }
    }
    results.push(m);
  }
  await restorer.dispose();
  rmSync(home, { recursive: true, force: true });

  const units = results[0].psnr.length;
  const r = rng(12345);
  const resamples = Array.from({ length: BOOT }, () => Array.from({ length: units }, () => Math.floor(r() * units)));
  const ci = (v: number[], d = 2) => {
    const [m, lo, hi] = interval(v, resamples);
    return `${m.toFixed(d)} [${lo.toFixed(d)}, ${hi.toFixed(d)}]`;
  };
  const diff = (a: number[], b: number[]) => a.map((v, i) => v - b[i]);
  console.log(`\n${units} units (face x seed), bootstrap 95 % intervals (${BOOT} paired resamples); Δ = against the first row, same units`);
  console.log(['setting'.padEnd(30), 'evals', 'PSNR dB'.padEnd(22), `PSNR@1/${DOWN}`.padEnd(22), 'identity cos'.padEnd(22), 'SWD x1e3'.padEnd(22), 'Δ PSNR'.padEnd(22), 'Δ SWD'.padEnd(22), 's/face'].join(' '));
  rows.forEach((row, k) => {
    const m = results[k];
    console.log(
      [
        row.label.padEnd(30),
        String(evaluationsOf(row.options)).padStart(5),
        ci(m.psnr).padEnd(22),
        ci(m.psnrLow).padEnd(22),
        ci(m.identity, 3).padEnd(22),
        ci(m.swd).padEnd(22),
        (k === 0 ? '-' : ci(diff(m.psnr, results[0].psnr))).padEnd(22),
        (k === 0 ? '-' : ci(diff(m.swd, results[0].swd))).padEnd(22),
        (m.seconds / (seedCount * n)).toFixed(2),
      ].join(' '),
    );
  });
  if (testWeights) console.log('\nNOTE: random test weights: only shows that the bench runs.');
}

await main();
