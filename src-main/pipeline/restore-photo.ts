/**
 * One photo through the whole pipeline: decode -> detect -> align -> restore -> scale -> paste ->
 * encode. Used by the CLI and by the batch queue; cancellation is checked between stages.
 */
import { performance } from 'node:perf_hooks';
import type { DetectedFace } from '../../src-shared/faces.ts';
import type { PairMode, RestoreSettings } from '../../src-shared/settings.ts';
import { alignFaces } from './align.ts';
import { type DecodedPhoto, type ToneKind, decodePhoto } from './decode.ts';
import { type DetectOptions, detectFaces } from './detect.ts';
import { encodePhoto } from './encode.ts';
import type { FaceRestorer } from './face-restorer.ts';
import { composeAffine, invertAffine } from './geometry.ts';
import { writePairs } from './pairs.ts';
import { type FaceToPaste, pasteFaces } from './paste.ts';
import { type Raster, cloneRaster } from './raster.ts';
import { restoreFaces } from './restore-faces.ts';
import { photoToOutput, scaleAlpha, scaleRaster } from './scale.ts';

export const STAGES = ['decode', 'detect', 'align', 'restore', 'scale', 'paste', 'encode'] as const;
export type Stage = (typeof STAGES)[number];

export interface RestorePhotoOptions {
  signal?: AbortSignal;
  onStage?: (stage: Stage) => void;
  /** Keep the photo before and after restoration, at the output scale, in the result. */
  keepRasters?: boolean;
  /** Also write before/after pair files next to the output. */
  pairs?: PairMode;
  /** Use these faces instead of running the detector (e.g. the user edited them). */
  faces?: DetectedFace[];
  detect?: DetectOptions;
  maxPixels?: number;
}

export type Settings = Pick<RestoreSettings, 'steps' | 'mode' | 'seed' | 'scale' | 'format' | 'quality'>;

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
  /** Pair files written (see pairs.ts). */
  pairs: string[];
  /** The photo before / after restoration at the output scale (only with keepRasters). */
  before?: Raster;
  after?: Raster;
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
  const stage = async <T>(name: Stage, fn: () => Promise<T> | T): Promise<T> => {
    signal?.throwIfAborted();
    options.onStage?.(name);
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = performance.now() - t0;
    }
  };

  const photo = await stage('decode', () => decodePhoto(inputPath, { maxPixels: options.maxPixels }));
  const detected = await stage('detect', () => options.faces ?? detectFaces(photo.image, options.detect));
  const usable = detected.filter((f) => !f.skipped);
  const size = restorer.faceSize;
  const aligned = await stage('align', () => alignFaces(photo.image, usable, size, signal));
  const restored = await stage('restore', () =>
    restoreFaces(restorer, aligned, { steps: settings.steps, seed: settings.seed, mode: settings.mode, signal }),
  );
  const k = settings.scale;
  const background = await stage('scale', () => scaleRaster(photo.image, k));
  const alpha = photo.alpha ? await scaleAlpha(photo.alpha, photo.image.width, photo.image.height, k) : undefined;
  const pairs = options.pairs ?? 'none';
  const before = options.keepRasters || pairs !== 'none' ? cloneRaster(background) : undefined;
  await stage('paste', () => {
    const plane = 3 * size * size;
    const outToPhoto = invertAffine(photoToOutput(k));
    const faces: FaceToPaste[] = aligned.transforms.map((t, i) => ({
      restored: restored.restored.subarray(i * plane, (i + 1) * plane),
      original: aligned.faces.subarray(i * plane, (i + 1) * plane),
      outToFace: composeAffine(t, outToPhoto),
      size,
    }));
    return pasteFaces(background, faces, photo.tone.kind, signal);
  });
  const encodeOptions = { format: settings.format, quality: settings.quality, scale: k, protect: [inputPath] };
  const pairPaths = await stage('encode', async () => {
    await encodePhoto(background, outputPath, photo, encodeOptions, alpha);
    return before && pairs !== 'none' ? writePairs(pairs, before, background, outputPath, photo, encodeOptions) : [];
  });
  return {
    inputPath,
    outputPath,
    width: photo.image.width,
    height: photo.image.height,
    outputWidth: background.width,
    outputHeight: background.height,
    tone: photo.tone.kind,
    faces: detected.map((f) => ({ ...f, restored: !f.skipped })),
    timings,
    restorer: restorer.description,
    pairs: pairPaths,
    before: options.keepRasters ? before : undefined,
    after: options.keepRasters ? background : undefined,
    source: { exif: photo.exif, icc: photo.icc, density: photo.density, singleChannel: photo.singleChannel },
  };
}
