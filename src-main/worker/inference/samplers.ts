/**
 * Samplers for PMRF's rectified flow dx/dt = v(x, t), t from t0 to 1 (issue 10).
 *
 * PMRF trains v on x_t = t X + (1 - t) Z0, so each evaluation also gives the endpoint estimate
 * x̂ = x + (1 - t) v. Euler holds x̂ for a step; multistep2 takes x̂ linear in t over the step (from
 * the previous evaluation) and integrates dx/dt = (x̂ - x) / (1 - t) exactly, which is second order
 * at no extra cost; heun pays a second evaluation per step.
 *
 * The budget is counted in network evaluations (what a step costs on the device), so samplers are
 * compared at equal cost: a sampler with e evaluations per step takes floor(budget / e) steps
 * (at least one).
 */
import { SAMPLERS, SAMPLER_EVALS_PER_STEP, evaluationsFrom, samplerSteps, type SamplerName } from '../../../src-shared/settings.ts';

export { SAMPLERS, evaluationsFrom, type SamplerName };

/** The network: v(x, t) for the whole batch state x. */
export type VectorField = (x: Float32Array, t: number) => Promise<Float32Array>;

/**
 * A correction added after each step (consistency guidance, guidance.ts): `apply(x, xhat, h)`
 * updates x_{i+1} in place from the step's endpoint estimate x̂_i and its length h.
 */
export interface StepCorrection {
  apply(x: Float32Array, xhat: Float32Array, h: number): void;
}

export interface IntegrateOptions {
  /** Evaluation budget K for the whole path t = 0..1 (the "quality steps"). */
  evaluations: number;
  /** Start time t0 in [0, 1): the path from t0 gets ceil(K (1 - t0)) of the budget. */
  start?: number;
  correction?: StepCorrection;
  signal?: AbortSignal;
  /** After each step with the state x_{i+1} (do not keep a reference: copy). */
  onStep?: (step: number, total: number, x: Float32Array) => void;
}

export interface SamplerInfo {
  name: SamplerName;
  evalsPerStep: number;
  /** Order of accuracy in the step size on a smooth field. */
  order: number;
  description: string;
}

export const SAMPLER_INFO: Record<SamplerName, SamplerInfo> = {
  euler: { name: 'euler', evalsPerStep: SAMPLER_EVALS_PER_STEP.euler, order: 1, description: "PMRF's Euler steps (the published sampler)" },
  heun: { name: 'heun', evalsPerStep: SAMPLER_EVALS_PER_STEP.heun, order: 2, description: 'Heun: Euler predictor, trapezoidal corrector (2 evaluations per step)' },
  multistep2: {
    name: 'multistep2',
    evalsPerStep: SAMPLER_EVALS_PER_STEP.multistep2,
    order: 2,
    description: 'two-step exponential integrator on the endpoint estimate (1 evaluation per step, second order)',
  },
};

/** The time grid: `steps` uniform steps from t0 to 1; h is the same for every step. */
export interface TimeGrid {
  /** t_0 .. t_steps (t_steps = 1). */
  t: number[];
  h: number;
  steps: number;
}

export function timeGrid(sampler: SamplerName, budget: number, start = 0): TimeGrid {
  const steps = samplerSteps(sampler, budget, start);
  // With t0 = 0 these are exactly i / K and 1 / K, the values PMRF's Euler loop uses (parity).
  const t = Array.from({ length: steps + 1 }, (_, i) => (i === steps ? 1 : start + ((1 - start) * i) / steps));
  return { t, h: (1 - start) / steps, steps };
}

/** x̂ = x + (1 - t) v, the endpoint estimate of one evaluation. */
function endpoint(x: Float32Array, v: Float32Array, t: number): Float32Array {
  const out = new Float32Array(x.length);
  const s = 1 - t;
  for (let j = 0; j < x.length; j++) out[j] = x[j] + s * v[j];
  return out;
}

/**
 * Integrates from x (changed in place into x at t = 1) and returns the number of evaluations made.
 * The correction, when given, is applied after every step.
 */
export async function integrate(sampler: SamplerName, x: Float32Array, field: VectorField, opts: IntegrateOptions): Promise<number> {
  const grid = timeGrid(sampler, opts.evaluations, opts.start ?? 0);
  let evaluations = 0;
  const evaluate = async (state: Float32Array, t: number): Promise<Float32Array> => {
    opts.signal?.throwIfAborted();
    const v = await field(state, t);
    evaluations++;
    if (v.length !== state.length) throw new Error(`the vector field returned ${v.length} values for ${state.length}`);
    return v;
  };
  const { t, h, steps } = grid;
  let prevXhat: Float32Array | undefined;
  for (let i = 0; i < steps; i++) {
    const ti = t[i];
    const v = await evaluate(x, ti);
    // The endpoint estimate is needed by multistep2 and the correction only (Euler stays as it was).
    const xhat = sampler === 'multistep2' || opts.correction !== undefined ? endpoint(x, v, ti) : undefined;
    if (sampler === 'heun') {
      const pred = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) pred[j] = x[j] + h * v[j];
      const v2 = await evaluate(pred, t[i + 1]);
      const half = h / 2;
      for (let j = 0; j < x.length; j++) x[j] += half * (v[j] + v2[j]);
    } else {
      // Euler: x_{i+1} = x_i + h v_i, the same float operations as PMRF's loop.
      for (let j = 0; j < x.length; j++) x[j] += h * v[j];
      if (sampler === 'multistep2' && prevXhat !== undefined) {
        const tn = t[i + 1];
        // ∫ (x̂ slope term): [h - (1 - t_{i+1}) ln((1 - t_i)/(1 - t_{i+1}))], which is h on the last step.
        const bracket = tn >= 1 ? h : h - (1 - tn) * Math.log((1 - ti) / (1 - tn));
        const c = bracket / (ti - t[i - 1]);
        const cur = xhat as Float32Array;
        for (let j = 0; j < x.length; j++) x[j] += c * (cur[j] - prevXhat[j]);
      }
    }
    if (opts.correction !== undefined) opts.correction.apply(x, xhat as Float32Array, h);
    prevXhat = xhat;
    opts.onStep?.(i + 1, steps, x);
  }
  return evaluations;
}
