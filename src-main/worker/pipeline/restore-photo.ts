/**
 * One photo through the whole pipeline: decode -> detect -> align -> restore -> scale -> paste ->
 * encode, the stages of stages.ts run back to back. Used by tests and benchmarks (the CLI and the
 * app go through the batch queue, which runs the same stages); cancellation is checked between
 * stages and, in align and paste, between faces.
 */
import { performance } from 'node:perf_hooks';
import type { DetectedFace } from '../../../src-shared/faces.ts';
import type { RestoreSettings } from '../../../src-shared/settings.ts';
import type { ToneKind, DecodedPhoto } from './decode.ts';
import type { AlignedMode } from './aligned-input.ts';
import type { DetectOptions } from './detect.ts';
import type { FaceRestorer } from './face-restorer.ts';
import type { PairTargets } from './pairs.ts';
import type { Raster } from './raster.ts';
import { type Stage, type StageRunner, STAGES, finishPhoto, preparePhoto, restorePrepared } from './stages.ts';

export { STAGES, type Stage } from './stages.ts';

export interface RestorePhotoOptions {
  signal?: AbortSignal;
  onStage?: (stage: Stage) => void;
  /** Keep the photo before and after restoration, at the output scale, in the result. */
  keepRasters?: boolean;
  /** Also write these before/after pair files (names from export/naming.ts; null = not wanted). */
  pairs?: Omit<PairTargets, 'image'>;
  /** Use these faces instead of running the detector (e.g. the user edited them). */
  faces?: DetectedFace[];
  detect?: DetectOptions;
  /** Treat the photo as one aligned face (see PrepareOptions.aligned). */
  aligned?: AlignedMode;
  maxPixels?: number;
}

/** `repair` / `fixColour` absent = off here (tests and benchmarks ask for them). */
export type Settings = Pick<RestoreSettings, 'steps' | 'fidelity' | 'sampler' | 'strength' | 'consistency' | 'seed' | 'scale' | 'format' | 'quality'> &
  Partial<Pick<RestoreSettings, 'repair' | 'fixColour'>>;

export interface RestorePhotoResult {
  inputPath: string;
  outputPath: string;
  width: number;
  height: number;
  outputWidth: number;
  outputHeight: number;
  tone: ToneKind;
  /** Every detected face; `restored` tells whether it went through the model. */
  faces: (DetectedFace & { restored: boolean })[];
  /** Milliseconds per stage. */
  timings: Record<Stage, number>;
  restorer: string;
  /** Pair files written. */
  pairs: string[];
  /** The photo before / after restoration at the output scale (only with keepRasters). */
  before?: Raster;
  after?: Raster;
  /** Set when the photo was restored as one aligned face (asked, or offered because it looked like one). */
  alignedInput?: 'asked' | 'offered';
  /** Decoded metadata, for writing pairs with the same EXIF/ICC. */
  source: Pick<DecodedPhoto, 'exif' | 'icc' | 'density' | 'singleChannel'>;
}

export async function restorePhoto(
  inputPath: string,
  outputPath: string,
  restorer: FaceRestorer,
  settings: Settings,
  options: RestorePhotoOptions = {},
): Promise<RestorePhotoResult> {
  const timings = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const { signal } = options;
  const run: StageRunner = async (name, fn) => {
    signal?.throwIfAborted();
    options.onStage?.(name);
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = performance.now() - t0;
    }
  };

  const prepared = await preparePhoto(inputPath, run, {
    faceSize: restorer.faceSize,
    faces: options.faces,
    detect: options.detect,
    aligned: options.aligned,
    maxPixels: options.maxPixels,
    ...(settings.repair ? { repair: {} } : {}),
    fixColour: settings.fixColour,
    signal,
  });
  const restored = await restorePrepared(run, restorer, prepared, {
    steps: settings.steps,
    seed: settings.seed,
    fidelity: settings.fidelity,
    sampler: settings.sampler,
    strength: settings.strength,
    signal,
  }, { lambda: settings.consistency });
  const { photo } = prepared;
  const finished = await finishPhoto(run, prepared, restored, outputPath, {
    scale: settings.scale,
    format: settings.format,
    quality: settings.quality,
    protect: [inputPath],
    pairs: options.pairs,
    keepBefore: options.keepRasters,
    signal,
  });
  return {
    inputPath,
    outputPath,
    width: photo.image.width,
    height: photo.image.height,
    outputWidth: finished.after.width,
    outputHeight: finished.after.height,
    tone: photo.tone.kind,
    faces: prepared.faces.map((f) => ({ ...f, restored: f.skipped === undefined })),
    timings,
    restorer: restorer.description,
    pairs: finished.pairs,
    before: options.keepRasters ? finished.before : undefined,
    after: options.keepRasters ? finished.after : undefined,
    ...(prepared.alignedInput === undefined ? {} : { alignedInput: prepared.alignedInput }),
    source: { exif: photo.exif, icc: photo.icc, density: photo.density, singleChannel: photo.singleChannel },
  };
}
