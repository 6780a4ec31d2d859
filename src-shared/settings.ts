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

export const RESTORE_MODES = ['flow', 'mean'] as const;
/** 'flow' = realistic (PMRF flow output); 'mean' = faithful (posterior mean). */
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
  mode: RestoreMode;
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
}

/** Default flow steps per device class: K=25 is ~12 TFLOP per face, fine on a GPU, slow on CPU. */
export const DEFAULT_STEPS_GPU = 25;
export const DEFAULT_STEPS_CPU = 4;

export const DEFAULT_SETTINGS: RestoreSettings = {
  steps: DEFAULT_STEPS_CPU,
  mode: 'flow',
  seed: 0,
  scale: 1,
  format: 'jpg',
  quality: 92,
  pairs: 'none',
  device: 'auto',
};
