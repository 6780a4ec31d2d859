/**
 * The pipeline's three batch steps (pipeline/stages.ts: prepare = decode + detect + align,
 * restore = the model, finish = scale + paste + encode + pairs), as the worker's batch handlers
 * run them for the main process's queue (which overlaps one photo's preparation with another's
 * inference). Adds what the queue keeps per face: whether it is included and its seed. Shaped
 * like the queue's PhotoProcessor, so tests can also drive it in one process.
 */
import { performance } from 'node:perf_hooks';
import type { PhotoStage } from '../../src-shared/ipc.ts';
import type { DetectOptions } from './pipeline/detect.ts';
import type { FaceRestorer, RestoredFaces } from './pipeline/face-restorer.ts';
import { readDamageMask } from './pipeline/repair/mask-file.ts';
import { type PrepareOptions, type PreparedPhoto, type Stage, type StageRunner, finishPhoto, preparePhoto, restorePrepared } from './pipeline/stages.ts';
import { faceSeed } from '../../src-shared/rules.ts';
import type { FinishTargets, PhotoInput, PlannedFace, PrepareResult, RepairReport, StageContext } from '../../src-shared/worker-protocol.ts';

export interface PipelineProcessorOptions {
  restorer: FaceRestorer;
  /** What `modelSha256()` answers (default: the restorer's own). */
  modelSha256?: string | null;
  detect?: DetectOptions;
  maxPixels?: number;
  /** Write "Before" / "After" on side-by-side pairs. */
  pairLabels?: boolean;
}

interface PreparedState {
  input: PhotoInput;
  photo: PreparedPhoto;
}

export interface PreparedStep extends PrepareResult {
  state: PreparedState;
}

export class PipelineProcessor {
  readonly #restorer: FaceRestorer;
  readonly #detect: DetectOptions | undefined;
  readonly #maxPixels: number | undefined;
  readonly #pairLabels: boolean;
  readonly #modelSha256: string | null | undefined;

  constructor(options: PipelineProcessorOptions) {
    this.#restorer = options.restorer;
    this.#detect = options.detect;
    this.#maxPixels = options.maxPixels;
    this.#pairLabels = options.pairLabels ?? false;
    this.#modelSha256 = options.modelSha256;
  }

  get restorer(): FaceRestorer {
    return this.#restorer;
  }

  async modelSha256(): Promise<string | null> {
    return this.#modelSha256 !== undefined ? this.#modelSha256 : (this.#restorer.modelSha256 ?? null);
  }

  async prepare(input: PhotoInput, ctx: StageContext): Promise<PreparedStep> {
    const timingsMs: Record<string, number> = {};
    const known = input.knownFaces?.map(({ id: _id, photoId: _p, ...f }): PlannedFace => f);
    const photo = await preparePhoto(input.path, runner(ctx, timingsMs), {
      faceSize: this.#restorer.faceSize,
      faces: known,
      include: (i) => known?.[i].include ?? true,
      detect: this.#detect,
      aligned: input.settings.aligned ?? 'never',
      maxPixels: this.#maxPixels,
      output: { scale: input.settings.scale, format: input.settings.format, pairs: input.settings.pairs },
      ...(input.settings.repair ? { repair: repairRequest(input.damageMask) } : {}),
      fixColour: input.settings.fixColour,
      signal: ctx.signal,
    });
    const planned = (f: (typeof photo.faces)[number], i: number): PlannedFace => ({ ...f, include: true, seed: faceSeed(input.settings.seed, i), fidelity: null });
    const plan = photo.output;
    const lowered = plan?.reason ? { scaleLowered: { scale: plan.scale, reason: plan.reason } } : {};
    const damage = {
      ...(photo.photo.damage === undefined ? {} : { damage: photo.photo.damage }),
      ...(photo.repair === undefined ? {} : { repair: reportOf(photo.repair) }),
      ...(photo.colour === undefined ? {} : { colour: photo.colour }),
    };
    if (photo.alignedInput !== undefined) {
      // Restored whole as one face: that face is not a detection, so the library keeps the faces
      // it has (they count again when the user turns aligned input off).
      return { faces: photo.faces.map(planned), detected: false, alignedInput: photo.alignedInput, ...lowered, ...damage, timingsMs, state: { input, photo } };
    }
    const faces = photo.detected ? photo.faces.map(planned) : (known ?? []);
    const looks = photo.detected ? { looksAligned: photo.looksAligned } : {};
    return { faces, detected: photo.detected, ...looks, ...lowered, ...damage, timingsMs, state: { input, photo } };
  }

  async restore(
    p: PreparedStep,
    ctx: StageContext,
  ): Promise<{ state: RestoredFaces; timingsMs: Record<string, number>; model: { description: string; sha256: string | null } }> {
    const timingsMs: Record<string, number> = {};
    const { input, photo } = p.state;
    const { settings } = input;
    const state = await restorePrepared(runner(ctx, timingsMs), this.#restorer, photo, {
      steps: settings.steps,
      fidelity: settings.fidelity,
      sampler: settings.sampler,
      strength: settings.strength,
      seed: settings.seed,
      seeds: photo.restoredIdx.map((i) => p.faces[i].seed),
      // A face's own fidelity (the face panel), else the setting.
      fidelities: photo.restoredIdx.map((i) => p.faces[i].fidelity ?? null),
      signal: ctx.signal,
    }, { lambda: settings.consistency });
    // Asked after the run: a restorer that loads its model on first use knows it only now.
    const model = { description: this.#restorer.description, sha256: this.#restorer.modelSha256 ?? null };
    return { state, timingsMs, model };
  }

  /** `pairLabels` overrides the processor's option for this photo (the worker gets it per call). */
  async finish(
    p: PreparedStep,
    restored: RestoredFaces,
    targets: FinishTargets,
    ctx: StageContext,
    pairLabels = this.#pairLabels,
  ): Promise<{ timingsMs: Record<string, number> }> {
    const timingsMs: Record<string, number> = {};
    const { input, photo } = p.state;
    const { settings } = input;
    await finishPhoto(runner(ctx, timingsMs), photo, restored, targets.image, {
      scale: settings.scale,
      format: settings.format,
      quality: settings.quality,
      protect: [input.path],
      pairs: { sideBySide: targets.sideBySide, before: targets.before, after: targets.after },
      pairLabels,
      signal: ctx.signal,
    });
    return { timingsMs };
  }
}

/** The user's mask, read at the photo's size when the repair runs; null/absent = the detector. */
function repairRequest(maskFile: string | null | undefined): NonNullable<PrepareOptions['repair']> {
  if (maskFile === null || maskFile === undefined) return {};
  return { mask: (width, height) => readDamageMask(maskFile, width, height) };
}

function reportOf(r: NonNullable<PreparedPhoto['repair']>): RepairReport {
  const { maskPixels: _mask, ...report } = r;
  return report;
}

/** The queue reports no separate 'scale' stage: scaling the background counts as pasting. */
const QUEUE_STAGE: Record<Stage, PhotoStage> = {
  decode: 'decode',
  detect: 'detect',
  colour: 'repair',
  repair: 'repair',
  align: 'align',
  restore: 'restore',
  scale: 'paste',
  paste: 'paste',
  encode: 'encode',
};

/** A StageRunner that checks the queue's signal, reports each queue stage once and adds up `<stage>Ms`. */
function runner(ctx: StageContext, timings: Record<string, number>): StageRunner {
  let reported: PhotoStage | undefined;
  return async (name, fn) => {
    const stage = QUEUE_STAGE[name];
    ctx.signal.throwIfAborted();
    if (stage !== reported) ctx.onStage(stage, 0);
    reported = stage;
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[`${stage}Ms`] = Math.round((timings[`${stage}Ms`] ?? 0) + performance.now() - t0);
    }
  };
}
