/**
 * `heirloom sampler-check`: solver accuracy of each sampler on a network's flow (issue 10, item 5).
 * From a starting point x_0 it computes a reference solution far more accurate than anything
 * compared (many heun steps), then each sampler at a few evaluation budgets, the error against the
 * reference and the fitted order; then the consistency guidance at 4 Euler evaluations for several
 * λ with y as the photo.
 *
 * The problem comes from a parity-vectors folder (its checkpoint, y and x_0: with formula weights,
 * a random network) or from any checkpoint and one aligned face (x_0 = clip(SwinIR(y)) + 0.1 z, as
 * the engine starts the flow): the published model's own field, on a machine that has it.
 * Either way it measures how well each sampler solves the ODE, not image quality.
 */
import type { Device } from '../../../src-shared/settings.ts';
import type { ArchConfig } from './arch.ts';
import { type CheckpointRef, checkpointRef, type Precision } from './build.ts';
import { PmrfEngine, clip01 } from './engine.ts';
import { ConsistencyGuidance, consistencyError, consistencyTarget } from './guidance.ts';
import { readBin, readMeta } from './parity.ts';
import { SAMPLERS, SAMPLER_INFO, integrate, type SamplerName, type StepCorrection } from './samplers.ts';

export interface SamplerCheckReport {
  samplers: { name: SamplerName; evalsPerStep: number; points: { evals: number; err: number }[]; order: number }[];
  guidance: { lambda: number; consistency: number; maxAbs: number }[];
  lambda0Diff: number;
}

export interface SamplerCheckOptions {
  device: Device;
  precision: Precision;
  cacheDir: string;
  /** Heun steps of the reference (2 evaluations each). */
  referenceSteps: number;
  /** Evaluation budgets compared. */
  evals: readonly number[];
  /** Guidance strengths compared (at 4 Euler evaluations, blocks of `block` pixels). */
  lambdas: readonly number[];
  block: number;
  onStatus?: (message: string) => void;
}

export const SAMPLER_CHECK_DEFAULTS = {
  referenceSteps: 512,
  evals: [2, 4, 8, 16],
  lambdas: [0, 1, 4, 16, 1e4],
  block: 4,
} as const;

/** RMS of a − b over all values. */
export function rmsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

/** Least-squares slope of −log(err) against log(evals): the error order in the evaluations. */
export function fittedOrder(points: readonly { evals: number; err: number }[]): number {
  const usable = points.filter((p) => p.err > 0 && p.evals > 0);
  if (usable.length < 2) return Number.NaN;
  const xs = usable.map((p) => Math.log(p.evals));
  const ys = usable.map((p) => -Math.log(p.err));
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/** What the check integrates: a network and one face, [1,3,S,S] in [0,1] at the architecture's size. */
export interface SamplerProblem {
  checkpoint: string | CheckpointRef;
  arch: ArchConfig;
  y: Float32Array;
  /** The flow's start; absent: clip(SwinIR(y)) + 0.1 z with z from `seed`. */
  x0?: Float32Array;
  seed?: number;
}

/** A parity-vectors folder's network, y and x_0. */
export async function vectorsProblem(dir: string): Promise<SamplerProblem> {
  const { arch } = await readMeta(dir);
  const count = 3 * arch.image_size * arch.image_size;
  return { checkpoint: await checkpointRef(dir), arch, y: await readBin(dir, 'y.bin', count), x0: await readBin(dir, 'x_0.bin', count) };
}

export async function runSamplerCheck(problem: SamplerProblem, opts: SamplerCheckOptions): Promise<SamplerCheckReport> {
  const { arch, y } = problem;
  const S = arch.image_size;
  const count = 3 * S * S;
  if (y.length !== count) throw new Error(`sampler-check: y has ${y.length} values, expected ${count}`);
  const engine = await PmrfEngine.create({
    checkpoint: problem.checkpoint,
    arch,
    imageSize: S,
    precision: opts.precision,
    device: opts.device,
    cacheDir: opts.cacheDir,
    onStatus: opts.onStatus,
  });
  const field = (x: Float32Array, t: number) => engine.runHdit(x, t, 1);
  // The unclipped x at t = 1: clipping would hide solver error in saturated pixels.
  const solve = async (x0: Float32Array, sampler: SamplerName, evaluations: number, correction?: StepCorrection) => {
    const x = x0.slice();
    const evals = await integrate(sampler, x, field, { evaluations, correction });
    return { x, evals };
  };
  try {
    const x0 = problem.x0 ?? (await flowStart(engine, y, problem.seed ?? 0));
    const refEvals = 2 * opts.referenceSteps;
    opts.onStatus?.(`reference: heun, ${opts.referenceSteps} steps (${refEvals} evaluations)`);
    const t0 = performance.now();
    const ref = await solve(x0, 'heun', refEvals);
    opts.onStatus?.(`reference done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const samplers: SamplerCheckReport['samplers'] = [];
    for (const name of SAMPLERS) {
      const points: { evals: number; err: number }[] = [];
      for (const budget of opts.evals) {
        const r = await solve(x0, name, budget);
        points.push({ evals: r.evals, err: rmsDiff(r.x, ref.x) });
      }
      samplers.push({ name, evalsPerStep: SAMPLER_INFO[name].evalsPerStep, points, order: fittedOrder(points) });
      opts.onStatus?.(`${name} done`);
    }

    const target = consistencyTarget(y, S, { block: opts.block, luma: false });
    const plain = await solve(x0, 'euler', 4);
    const guidance: SamplerCheckReport['guidance'] = [];
    let lambda0Diff = Number.NaN;
    for (const lambda of opts.lambdas) {
      const r = await solve(x0, 'euler', 4, new ConsistencyGuidance(lambda, [target]));
      const maxAbs = r.x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      guidance.push({ lambda, consistency: consistencyError(r.x, target), maxAbs });
      if (lambda === 0) lambda0Diff = r.x.reduce((m, v, i) => Math.max(m, Math.abs(v - plain.x[i])), 0);
    }
    return { samplers, guidance, lambda0Diff };
  } finally {
    await engine.dispose();
  }
}

/** Where the engine starts the flow for one face and seed: clip(SwinIR(y), 0, 1) + 0.1 z. */
export async function flowStart(engine: PmrfEngine, y: Float32Array, seed: number): Promise<Float32Array> {
  return engine.flowStart(clip01(await engine.runSwinir(y, 1)), 1, { seed });
}
