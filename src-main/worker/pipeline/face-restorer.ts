import type { SamplerName } from '../../../src-shared/settings.ts';
import type { ConsistencySpec } from '../inference/guidance.ts';

/** How a batch of aligned faces is restored. */
export interface RestoreOptions {
  /** Network evaluations K >= 1 for the whole flow (Euler: its steps). */
  steps: number;
  /** Seed of the flow's Gaussian noise: the same seed gives the same result. */
  seed: number;
  /** One seed per face (face i otherwise uses seed + i), e.g. after the user re-rolled one face. */
  seeds?: readonly number[];
  /**
   * Faithful <-> realistic lambda in [0, 1] (settings.fidelity): 1 = the flow result, 0 = the
   * posterior mean. Applied to the restorer's output by restoreFaces (restore-faces.ts).
   */
  fidelity: number;
  /** Per-face lambda (null = follow `fidelity`), in the order of the faces. */
  fidelities?: readonly (number | null)[];
  /** Flow sampler (default 'euler'). */
  sampler?: SamplerName;
  /** Share of the flow that runs, (0, 1] (default 1: settings.strength). */
  strength?: number;
  /**
   * Consistency guidance (settings.consistency): strength λ and, per face, how its restored
   * version is compared with its input crop (null = not guided). See pipeline/consistency.ts.
   */
  consistency?: { lambda: number; faces: readonly (ConsistencySpec | null)[] };
  signal?: AbortSignal;
}

export interface RestoredFaces {
  /**
   * [n,3,S,S] RGB in [0,1]. From a FaceRestorer: its realistic output (the flow result; the
   * posterior mean when no face needs the flow). From restoreFaces: each face at its fidelity.
   */
  restored: Float32Array;
  /** [n,3,S,S] RGB in [0,1]: the posterior mean, always. */
  mean: Float32Array;
}

/** Each face's fidelity lambda. */
export function faceFidelities(options: Pick<RestoreOptions, 'fidelity' | 'fidelities'>, n: number): number[] {
  return Array.from({ length: n }, (_, i) => options.fidelities?.[i] ?? options.fidelity);
}

/** Whether any face needs the flow (a face at fidelity 0 is the posterior mean alone). */
export function needsFlow(options: Pick<RestoreOptions, 'fidelity' | 'fidelities'>, n: number): boolean {
  return faceFidelities(options, n).some((l) => l > 0);
}

/**
 * Restores aligned faces. The PMRF engine is the implementation; tests may use others
 * (identity, brighten) to check the pipeline's geometry and blending.
 */
export interface FaceRestorer {
  /** Side S of the square aligned face the restorer takes (512 for PMRF). */
  readonly faceSize: number;
  /** A short description for logs and sidecars (model hash, device). */
  readonly description: string;
  /** sha256 of the checkpoint it runs (the model's identity), when it has one and knows it. */
  readonly modelSha256?: string | null;
  /** faces: [n,3,S,S] float32 NCHW RGB in [0,1]. One call = one batch through the model. */
  restore(faces: Float32Array, n: number, options: RestoreOptions): Promise<RestoredFaces>;
  dispose(): Promise<void>;
}
