/**
 * The PMRF parity check: builds both networks from a vectors folder's checkpoint and compares
 * every stage with the reference tensors (shared/pmrf/vectors/README.md).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Device } from '../../../src-shared/settings.ts';
import { parseArch, type ArchConfig } from './arch.ts';
import { checkpointRef, type Precision } from './build.ts';
import { MMSE_NOISE_STD, PmrfEngine } from './engine.ts';
import { formulaNoise } from '../../checkpoint/formula.ts';
import { UserError } from '../../util/errors.ts';

export interface ParityLine {
  name: string;
  maxAbsErr: number;
  /** undefined = reported only (no tolerance applies at this precision). */
  tolerance: number | undefined;
  pass: boolean;
}

export interface ParityReport {
  dir: string;
  precision: Precision;
  provider: string;
  fallbackReason: string | undefined;
  imageSize: number;
  steps: number;
  lines: ParityLine[];
  /** Seconds: build (0 when the cache was reused), load, swinir, hdit probe, flow. */
  timings: Record<string, number>;
  buildReused: boolean;
  pass: boolean;
}

export interface ParityOptions {
  precision: Precision;
  device: Device;
  cacheDir: string;
  onLine?: (line: ParityLine) => void;
  onStatus?: (message: string) => void;
}

export interface VectorsMeta {
  arch: ArchConfig;
  steps: number;
}

export async function readMeta(dir: string): Promise<VectorsMeta> {
  const file = path.join(dir, 'meta.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: cannot read (${(err as Error).message})`);
  }
  const arch = parseArch(json, file);
  const steps = (json as { flow_steps?: unknown }).flow_steps;
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) throw new UserError(`${file}: flow_steps must be an integer >= 1`);
  const std = (json as { mmse_noise_std?: unknown }).mmse_noise_std;
  if (std !== undefined && std !== MMSE_NOISE_STD) throw new UserError(`${file}: mmse_noise_std ${String(std)} differs from the engine's ${MMSE_NOISE_STD}`);
  return { arch, steps };
}

export async function readBin(dir: string, name: string, count: number): Promise<Float32Array> {
  const file = path.join(dir, name);
  if (!existsSync(file)) throw new UserError(`${file}: missing`);
  const buf = await readFile(file);
  if (buf.byteLength !== count * 4) throw new UserError(`${file}: ${buf.byteLength} bytes, expected ${count * 4} (float32 [1,3,S,S])`);
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** max |a - b| and max |ref|. */
export function compare(ours: Float32Array, ref: Float32Array): { maxAbsErr: number; refAbsMax: number } {
  let maxAbsErr = 0;
  let refAbsMax = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(ours[i] - ref[i]);
    if (!(e <= maxAbsErr)) maxAbsErr = Number.isNaN(e) ? Infinity : e;
    refAbsMax = Math.max(refAbsMax, Math.abs(ref[i]));
  }
  return { maxAbsErr, refAbsMax };
}

/** Runs the whole check; `pass` is true only when every line with a tolerance is within it. */
export async function runParityCheck(dir: string, opts: ParityOptions): Promise<ParityReport> {
  const { arch, steps } = await readMeta(dir);
  const S = arch.image_size;
  const count = 3 * S * S;
  const fp32 = opts.precision === 'fp32';
  const lines: ParityLine[] = [];
  const timings: Record<string, number> = {};
  const record = (name: string, ours: Float32Array, ref: Float32Array, tolerance: number | undefined) => {
    const { maxAbsErr } = compare(ours, ref);
    const line = { name, maxAbsErr, tolerance, pass: tolerance === undefined || maxAbsErr <= tolerance };
    lines.push(line);
    opts.onLine?.(line);
  };
  const relTol = (ref: Float32Array) => (fp32 ? 1e-4 * Math.max(1, compare(ref, ref).refAbsMax) : undefined);
  const time = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    timings[key] = (performance.now() - t0) / 1000;
    return r;
  };

  const y = await readBin(dir, 'y.bin', count);
  const noise = await readBin(dir, 'noise.bin', count);
  record('noise (formula)', formulaNoise(count), noise, 0);

  const ref = await checkpointRef(dir);
  const engine = await time('build+load', () =>
    // No self-check: this check is about the provider asked for, never a CPU fallback.
    PmrfEngine.create({ checkpoint: ref, arch, imageSize: S, precision: opts.precision, device: opts.device, cacheDir: opts.cacheDir, onStatus: opts.onStatus, selfCheck: false }),
  );
  try {
    const mmseRef = await readBin(dir, 'mmse_raw.bin', count);
    const mmse = await time('swinir', () => engine.runSwinir(y, 1));
    record('mmse_raw', mmse, mmseRef, relTol(mmseRef));

    const x0Ref = await readBin(dir, 'x_0.bin', count);
    const x0 = new Float32Array(count);
    for (let i = 0; i < count; i++) x0[i] = Math.min(1, Math.max(0, mmse[i])) + MMSE_NOISE_STD * noise[i];
    record('x_0', x0, x0Ref, relTol(x0Ref));

    const vRef = await readBin(dir, 'v_probe_t0.3.bin', count);
    const v = await time('hdit', () => engine.runHdit(x0Ref, 0.3, 1));
    record('v_probe_t0.3', v, vRef, relTol(vRef));

    const states: Float32Array[] = [];
    const flowTol = fp32 ? 1e-3 : undefined;
    const mean = mmse.map((m) => Math.min(1, Math.max(0, m)));
    const { restored } = await time('flow', () => engine.flowFrom(mean, 1, { steps, noise, onStep: (_i, _k, x) => states.push(x.slice()) }));
    for (let i = 1; i <= steps; i++) record(`x_${i}`, states[i - 1], await readBin(dir, `x_${i}.bin`, count), flowTol);
    record('restored', restored, await readBin(dir, 'restored.bin', count), fp32 ? 1e-3 : 2e-2);
    return {
      dir,
      precision: opts.precision,
      provider: engine.provider,
      fallbackReason: engine.fallbackReason,
      imageSize: S,
      steps,
      lines,
      timings,
      buildReused: engine.built.reused,
      pass: lines.every((l) => l.pass),
    };
  } finally {
    await engine.dispose();
  }
}
