/**
 * The real PhotoProcessor: the pipeline's stage modules composed into the three steps the batch
 * queue overlaps (prepare = decode + detect + align, restore = the model, finish = scale + paste +
 * encode + pairs). It follows `pipeline/restore-photo.ts` stage for stage; that function runs a
 * photo start to end, which cannot overlap one photo's decoding with another's inference.
 */
import { performance } from 'node:perf_hooks';
import type { PhotoStage } from '../../src-shared/ipc.ts';
import { alignFaces, type AlignedFaces } from '../pipeline/align.ts';
import { decodePhoto, type DecodedPhoto } from '../pipeline/decode.ts';
import { detectFaces, type DetectOptions } from '../pipeline/detect.ts';
import { encodePhoto } from '../pipeline/encode.ts';
import type { FaceRestorer, RestoredFaces, RestoreOptions } from '../pipeline/face-restorer.ts';
import { composeAffine, invertAffine } from '../pipeline/geometry.ts';
import { pasteFaces, type FaceToPaste } from '../pipeline/paste.ts';
import { cloneRaster, type Raster } from '../pipeline/raster.ts';
import { restoreFaces } from '../pipeline/restore-faces.ts';
import { photoToOutput, scaleAlpha, scaleRaster } from '../pipeline/scale.ts';
import { faceSeed } from '../library/photos.ts';
import { writePairs } from '../export/pairs.ts';
import type { FacePlan, FinishTargets, PhotoInput, PhotoProcessor, Prepared, StageContext } from './photo-processor.ts';

interface PreparedState {
  input: PhotoInput;
  photo: DecodedPhoto;
  /** Indices into `faces` of the faces that go through the model, in batch order. */
  restoredIdx: number[];
  aligned: AlignedFaces;
}

export interface PipelineProcessorOptions {
  restorer: FaceRestorer;
  modelSha256: string | null;
  detect?: DetectOptions;
  maxPixels?: number;
  /** Write "Before" / "After" on side-by-side pairs. */
  pairLabels?: boolean;
}

export class PipelineProcessor implements PhotoProcessor<PreparedState, RestoredFaces> {
  readonly #restorer: FaceRestorer;
  readonly #detect: DetectOptions | undefined;
  readonly #maxPixels: number | undefined;
  readonly #pairLabels: boolean;
  readonly modelSha256: string | null;

  constructor(options: PipelineProcessorOptions) {
    this.#restorer = options.restorer;
    this.#detect = options.detect;
    this.#maxPixels = options.maxPixels;
    this.#pairLabels = options.pairLabels ?? false;
    this.modelSha256 = options.modelSha256;
  }

  get description(): string {
    return this.#restorer.description;
  }

  async prepare(input: PhotoInput, ctx: StageContext): Promise<Prepared<PreparedState>> {
    const timingsMs: Record<string, number> = {};
    const photo = await timed(ctx, 'decode', timingsMs, () => decodePhoto(input.path, { maxPixels: this.#maxPixels }));
    let faces: FacePlan[];
    let detected = false;
    if (input.knownFaces !== null) {
      faces = input.knownFaces.map(({ id: _id, photoId: _p, ...f }) => f);
    } else {
      const found = await timed(ctx, 'detect', timingsMs, () => detectFaces(photo.image, this.#detect));
      faces = found.map((f, i) => ({ ...f, include: true, seed: faceSeed(input.settings.seed, i) }));
      detected = true;
    }
    const restoredIdx = faces.flatMap((f, i) => (f.include && f.skipped === undefined ? [i] : []));
    const size = this.#restorer.faceSize;
    const aligned = await timed(ctx, 'align', timingsMs, () => alignFaces(photo.image, restoredIdx.map((i) => faces[i]), size));
    return { faces, detected, timingsMs, state: { input, photo, restoredIdx, aligned } };
  }

  async restore(p: Prepared<PreparedState>, ctx: StageContext): Promise<{ state: RestoredFaces; timingsMs: Record<string, number> }> {
    const timingsMs: Record<string, number> = {};
    const { settings } = p.state.input;
    const options: RestoreOptions = {
      steps: settings.steps,
      mode: settings.mode,
      seed: settings.seed,
      seeds: p.state.restoredIdx.map((i) => p.faces[i].seed),
      signal: ctx.signal,
    };
    const state = await timed(ctx, 'restore', timingsMs, () => restoreFaces(this.#restorer, p.state.aligned, options));
    return { state, timingsMs };
  }

  async finish(p: Prepared<PreparedState>, restored: RestoredFaces, targets: FinishTargets, ctx: StageContext): Promise<{ timingsMs: Record<string, number> }> {
    const timingsMs: Record<string, number> = {};
    const { photo, aligned, input } = p.state;
    const { settings } = input;
    const k = settings.scale;
    const size = aligned.size;
    const wantPairs = targets.sideBySide !== null || targets.before !== null;
    let before: Raster | undefined;
    const background = await timed(ctx, 'paste', timingsMs, async () => {
      const target = await scaleRaster(photo.image, k);
      // Pasting works in place: keep an unrestored copy for the pairs.
      if (wantPairs) before = cloneRaster(target);
      const plane = 3 * size * size;
      const outToPhoto = invertAffine(photoToOutput(k));
      const faces: FaceToPaste[] = aligned.transforms.map((t, i) => ({
        restored: restored.restored.subarray(i * plane, (i + 1) * plane),
        original: aligned.faces.subarray(i * plane, (i + 1) * plane),
        outToFace: composeAffine(t, outToPhoto),
        size,
      }));
      await pasteFaces(target, faces, photo.tone.kind);
      return target;
    });
    const alpha = photo.alpha === undefined ? undefined : await scaleAlpha(photo.alpha, photo.image.width, photo.image.height, k);
    await timed(ctx, 'encode', timingsMs, async () => {
      const encode = { format: settings.format, quality: settings.quality, scale: k, protect: [input.path] };
      await encodePhoto(background, targets.image, photo, encode, alpha);
      if (before !== undefined) await writePairs(before, background, photo, encode, targets, { labels: this.#pairLabels });
    });
    return { timingsMs };
  }
}

async function timed<T>(ctx: StageContext, stage: PhotoStage, timings: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  ctx.signal.throwIfAborted();
  ctx.onStage(stage, 0);
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[`${stage}Ms`] = Math.round((timings[`${stage}Ms`] ?? 0) + performance.now() - t0);
  }
}
