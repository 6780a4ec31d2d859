/** How a batch of aligned faces is restored. */
export interface RestoreOptions {
  /** Euler flow steps K >= 1 (ignored in 'mean' mode). */
  steps: number;
  /** Seed of the flow's Gaussian noise: the same seed gives the same result. */
  seed: number;
  /** One seed per face (face i otherwise uses seed + i), e.g. after the user re-rolled one face. */
  seeds?: readonly number[];
  /** 'flow' = photo-realistic PMRF result; 'mean' = the posterior mean (most faithful). */
  mode: 'flow' | 'mean';
  signal?: AbortSignal;
}

export interface RestoredFaces {
  /** [n,3,S,S] RGB in [0,1]: the flow result ('flow') or the posterior mean ('mean'). */
  restored: Float32Array;
  /** [n,3,S,S] RGB in [0,1]: the posterior mean, always. */
  mean: Float32Array;
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
