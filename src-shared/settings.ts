/** User-facing restore settings, shared by the CLI, the app and the batch queue. */

export const OUTPUT_FORMATS = ['jpg', 'png', 'tiff', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const SCALES = [1, 2, 4] as const;
export type BackgroundScale = (typeof SCALES)[number];

export const DEVICES = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];

export const PAIR_MODES = ['none', 'side-by-side', 'files'] as const;
export type PairMode = (typeof PAIR_MODES)[number];

/** Flow samplers (worker/inference/samplers.ts): euler is PMRF's own; the others are second order. */
export const SAMPLERS = ['euler', 'heun', 'multistep2'] as const;
export type SamplerName = (typeof SAMPLERS)[number];
/** Network evaluations each sampler step costs. */
export const SAMPLER_EVALS_PER_STEP: Record<SamplerName, number> = { euler: 1, heun: 2, multistep2: 1 };

/**
 * Evaluations spent on the path from t0 for a budget K: ceil(K (1 - t0)), at least 1 (the small
 * tolerance keeps e.g. K = 10, t0 = 0.7 at 3 despite 10 * 0.3 = 3.0000000000000004).
 */
export function evaluationsFrom(budget: number, start = 0): number {
  if (!Number.isInteger(budget) || budget < 1) throw new Error(`evaluation budget ${budget} must be an integer >= 1`);
  if (!(start >= 0 && start < 1)) throw new Error(`start time ${start} must be in [0, 1)`);
  return Math.max(1, Math.ceil(budget * (1 - start) - 1e-9));
}

/** Sampler steps for a budget: floor(evaluations / evaluations per step), at least 1. */
export function samplerSteps(sampler: SamplerName, budget: number, start = 0): number {
  return Math.max(1, Math.floor(evaluationsFrom(budget, start) / SAMPLER_EVALS_PER_STEP[sampler]));
}

/** Network evaluations a face costs with these settings (0: fidelity 0 runs no flow). */
export function flowEvaluations(s: Pick<RestoreSettings, 'steps' | 'sampler' | 'strength' | 'fidelity'>): number {
  if (s.fidelity === 0) return 0;
  return samplerSteps(s.sampler, s.steps, 1 - s.strength) * SAMPLER_EVALS_PER_STEP[s.sampler];
}

/** The binary choice before `fidelity`: settings, jobs and results saved then still carry it. */
export const RESTORE_MODES = ['flow', 'mean'] as const;
export type RestoreMode = (typeof RESTORE_MODES)[number];

/**
 * Whether a photo is restored as one aligned face (the whole image in the FFHQ layout, resized to the
 * model's size): 'never' (find its faces), 'always' (the user says it is one), 'auto' (when its only
 * face already sits on the template).
 */
export const ALIGNED_MODES = ['never', 'always', 'auto'] as const;
export type AlignedMode = (typeof ALIGNED_MODES)[number];

export interface RestoreSettings {
  /** PMRF flow steps K (1..100). */
  steps: number;
  /**
   * Faithful <-> realistic, lambda in [0, 1]: the face is (1 - lambda) * posterior mean + lambda *
   * flow result (1 = PMRF's realistic output, 0 = the posterior mean, most faithful; the flow is
   * not run). Replaces `mode` (flow = 1, mean = 0).
   */
  fidelity: number;
  /** Flow sampler (worker/inference/samplers.ts); `steps` counts its network evaluations. */
  sampler: SamplerName;
  /**
   * How much of the flow runs, in (0, 1]: it starts at t0 = 1 - strength from
   * m + strength * 0.1 z and spends ceil(steps * strength) evaluations (1 = the whole flow).
   */
  strength: number;
  /**
   * Consistency guidance λ >= 0 for small faces (native size at least 2 times below the model's
   * crop): how hard the restored face is held to the photo's block averages. 0 = off.
   */
  consistency: number;
  /** Base seed; each face's seed is derived from it (and can be re-rolled per face). */
  seed: number;
  scale: BackgroundScale;
  format: OutputFormat;
  /** JPEG / WebP quality 1..100. */
  quality: number;
  pairs: PairMode;
  device: Device;
  /** Aligned input (absent: 'never'; settings and jobs saved before it existed lack it). */
  aligned?: AlignedMode;
  /** Find and fill scratches, cracks, dust and hairs before the faces are restored. */
  repair: boolean;
  /** Correct fading and colour casts of colour prints (gray and toned prints keep their tone). */
  fixColour: boolean;
}

/** Largest consistency λ accepted: the guided step is bounded for any λ; beyond this it is 1 anyway. */
export const MAX_CONSISTENCY = 1e4;

/** Default flow steps per device class: K=25 is ~12 TFLOP per face, fine on a GPU, slow on CPU. */
export const DEFAULT_STEPS_GPU = 25;
export const DEFAULT_STEPS_CPU = 4;

export const DEFAULT_SETTINGS: RestoreSettings = {
  steps: DEFAULT_STEPS_CPU,
  fidelity: 1,
  sampler: 'euler',
  strength: 1,
  consistency: 0,
  seed: 0,
  scale: 1,
  format: 'jpg',
  quality: 92,
  pairs: 'none',
  device: 'auto',
  // Chosen by measurement (ARCHITECTURE.md, "Print damage"): the repair flags at most 0.8 % of a
  // clean old print, so it is on; the colour correction moves well-exposed colour photos by up to
  // 10 levels on average and some away from neutral, so the user turns it on per need.
  repair: true,
  fixColour: false,
};

/**
 * Restore settings as saved by any version, made current: `mode` (before the fidelity control)
 * becomes `fidelity` (flow = 1, mean = 0) and fields added since get their defaults. Input that is
 * not an object is returned as it is (the schema rejects it).
 */
export function upgradeRestoreSettings(saved: unknown): unknown {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return saved;
  const { mode, ...rest } = saved as Record<string, unknown>;
  const fidelity = 'fidelity' in rest ? rest.fidelity : mode === 'mean' ? 0 : mode === 'flow' ? 1 : DEFAULT_SETTINGS.fidelity;
  return { sampler: DEFAULT_SETTINGS.sampler, strength: DEFAULT_SETTINGS.strength, consistency: DEFAULT_SETTINGS.consistency, ...rest, fidelity };
}
