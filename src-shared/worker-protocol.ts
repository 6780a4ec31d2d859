/**
 * The one protocol between the main process and the inference process (a Node child in the CLI
 * and tests, an Electron utilityProcess in the app). `workerMethods` is the single source: each
 * method's params and result schema. The TypeScript types, the method list, the worker's check
 * of every call and the main process's check of every result all derive from it.
 *
 * Every call has an id; the worker answers with exactly one `result` or `error` for it, and may
 * send `progress` before that. `cancel` asks the worker to stop a call at its next check
 * (between faces or photos); killing the process is the hard cancel. Pure: zod only.
 */
import { z } from 'zod';
import type { DetectedFace, DetectionResult } from './faces.ts';
import { restoreSettingsSchema, type FaceRecord, type PhotoStage } from './ipc.ts';
import { MAX_SEED } from './rules.ts';
import { DEVICES, OUTPUT_FORMATS } from './settings.ts';

// ---------- shared pieces ----------

/** An absolute path on any platform (the worker never resolves relative paths). */
const absPath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'), 'must be an absolute path');
const point = z.tuple([z.number().finite(), z.number().finite()]);
const box = z.tuple([z.number().finite(), z.number().finite(), z.number().finite(), z.number().finite()]);
const timings = z.record(z.string(), z.number());
const seed = z.number().int().min(0).max(MAX_SEED);

export const detectedFaceSchema = z.object({
  box,
  score: z.number(),
  points: z.tuple([point, point, point, point, point]),
  skipped: z.literal('too-small').optional(),
  manual: z.literal(true).optional(),
}) satisfies z.ZodType<DetectedFace>;

const faceRecordSchema = detectedFaceSchema.extend({
  id: z.number().int(),
  photoId: z.number().int(),
  include: z.boolean(),
  seed,
  // Jobs and faces stored before per-face fidelity have none: they follow the setting.
  fidelity: z.number().min(0).max(1).nullable().default(null),
}) satisfies z.ZodType<FaceRecord>;

const detectionResultSchema = z.object({
  path: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  faces: z.array(detectedFaceSchema),
  looksAligned: z.boolean().optional(),
  damage: z.string().max(500).optional(),
}) satisfies z.ZodType<DetectionResult>;

const faceSize = z.number().int().min(64).max(2048).multipleOf(64);

/** Which model the worker runs: the checkpoint, its architecture and the device asked for. */
export const engineSpecSchema = z.object({
  checkpoint: absPath,
  /** Architecture preset name or meta.json path; null = the published model's preset. */
  arch: z.string().min(1).nullable(),
  /** Side of the aligned faces (512 for the published model). */
  faceSize,
  device: z.enum(DEVICES),
});
export type EngineSpec = z.infer<typeof engineSpecSchema>;

/** A face as the batch restores it: where it is, whether it is included, with which seed. */
export const plannedFaceSchema = detectedFaceSchema.extend({ include: z.boolean(), seed, fidelity: z.number().min(0).max(1).nullable().default(null) });
export type PlannedFace = z.infer<typeof plannedFaceSchema>;

/** One photo as the batch queue hands it to the pipeline. */
export const photoInputSchema = z.object({
  path: absPath,
  settings: restoreSettingsSchema,
  /** Faces stored in the library (the user may have skipped some or re-rolled seeds); null = detect. */
  knownFaces: z.array(faceRecordSchema).nullable(),
  /** The user's damage mask for this photo (PNG, white = repair), used instead of the detector. */
  damageMask: absPath.nullable().optional(),
});
export type PhotoInput = z.infer<typeof photoInputSchema>;

/** The repair stage's record (also in the sidecar): how much was repaired, found how. */
export const repairReportSchema = z.object({
  pixels: z.number().int().min(0),
  fraction: z.number().min(0).max(1),
  lines: z.number().int().min(0),
  specks: z.number().int().min(0),
  mask: z.enum(['detected', 'given']),
});
export type RepairReport = z.infer<typeof repairReportSchema>;

/** The colour correction's record: whether it ran, why not, the levels used and the cast before/after. */
export const colourReportSchema = z.object({
  corrected: z.boolean(),
  reason: z.string().max(200).optional(),
  levels: z.array(z.tuple([z.number(), z.number()])).length(3).optional(),
  castBefore: z.number(),
  castAfter: z.number(),
});
export type ColourReport = z.infer<typeof colourReportSchema>;

/** What preparing a photo (decode, detect or take the stored faces, repair, align) found. */
export const prepareResultSchema = z.object({
  /** Faces found (or taken from the library), with the seed each is restored with. */
  faces: z.array(plannedFaceSchema),
  /** True when `faces` come from a new detection (the queue stores them). */
  detected: z.boolean(),
  /** Set when the photo is restored as one aligned face: the user asked, or it looked like one. */
  alignedInput: z.enum(['asked', 'offered']).optional(),
  /** Set when the photo will be written at a lower scale than asked (its output would be too large): which, and why. */
  scaleLowered: z.object({ scale: z.number().int().positive(), reason: z.string() }).optional(),
  /** With `detected`: the photo is square and its one face sits on the template (a front end offers aligned input). */
  looksAligned: z.boolean().optional(),
  /** Set when the file is damaged but its pixels could be read: what was missing, in words. */
  damage: z.string().max(500).optional(),
  /** What the repair stage did (absent when it was off). */
  repair: repairReportSchema.optional(),
  /** What the colour correction did (absent when it was off). */
  colour: colourReportSchema.optional(),
  timingsMs: timings,
});
export type PrepareResult = z.infer<typeof prepareResultSchema>;

/** What restoring a prepared photo says about the model that did it. */
export const restoreResultSchema = z.object({
  timingsMs: timings,
  /** Model, precision and device, for sidecars and logs. */
  description: z.string(),
  /** sha256 of the checkpoint the worker ran (null for restorers without one, in tests). */
  modelSha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
});
export type RestoreResult = z.infer<typeof restoreResultSchema>;

/** Where the last step writes a photo's files (temporary names; the queue renames them). */
export const finishTargetsSchema = z.object({
  image: absPath,
  /** Side-by-side before/after image, if asked for. */
  sideBySide: absPath.nullable(),
  /** Two-file pair, if asked for. */
  before: absPath.nullable(),
  after: absPath.nullable(),
});
export type FinishTargets = z.infer<typeof finishTargetsSchema>;

const timingsResult = z.object({ timingsMs: timings });

/**
 * How a caller drives the three batch steps (prepare, restore, finish), in this process or
 * across the boundary: it cancels through `signal` and hears which stage runs.
 */
export interface StageContext {
  signal: AbortSignal;
  /** Reports the stage in progress and how far it is (0..1). */
  onStage(stage: PhotoStage, fraction?: number): void;
}
const token = z.number().int().nonnegative();
const empty = z.object({}).strict();

// ---------- the methods ----------

export const workerMethods = {
  ping: { params: empty, result: z.object({ pid: z.number().int(), methods: z.array(z.string()) }) },
  detect: { params: z.object({ path: absPath }), result: detectionResultSchema },
  /** The 5 alignment points of a face the user boxed (landmark net, or the template's proportions). */
  landmarks: {
    params: z.object({ path: absPath, box: z.tuple([z.number().finite(), z.number().finite(), z.number().positive(), z.number().positive()]) }),
    result: z.object({ points: detectedFaceSchema.shape.points, fromNet: z.boolean(), width: z.number().int(), height: z.number().int() }),
  },
  /** Finds the photo's print damage (faces protected) and writes the mask as a PNG (white = repair). */
  damageMask: {
    params: z.object({ path: absPath, outPath: absPath }),
    result: z.object({ width: z.number().int().positive(), height: z.number().int().positive(), pixels: z.number().int().min(0) }),
  },
  /** Writes the aligned face (faceSize x faceSize) as PNG. */
  alignFace: {
    params: z.object({ path: absPath, face: detectedFaceSchema, faceSize, outPath: absPath }),
    result: z.object({ outPath: z.string() }),
  },
  /** Restores one face with PMRF both ways (posterior mean and flow); writes three PNGs. */
  previewFace: {
    params: z.object({
      path: absPath,
      face: detectedFaceSchema,
      engine: engineSpecSchema,
      settings: restoreSettingsSchema,
      seed,
      out: z.object({ aligned: absPath, mean: absPath, flow: absPath }),
    }),
    result: z.object({ timingsMs: timings, description: z.string() }),
  },
  /**
   * Devices this machine offers (best first), a per-face time estimate, the WebGPU adapter as far
   * as it is known, and why each provider `auto` could try is skipped.
   */
  engineInfo: {
    // steps: the network evaluations a face costs (0: the posterior mean alone).
    params: z.object({ engine: engineSpecSchema.omit({ checkpoint: true }), steps: z.number().int().min(0) }),
    result: z.object({
      devices: z.array(z.enum(DEVICES)),
      activeDevice: z.enum(DEVICES),
      secondsPerFace: z.number().nullable(),
      gpuAdapter: z.string().nullable(),
      skipped: z.array(z.string()),
      /** The active GPU's self-check in words (null: none yet, or the CPU is active). */
      gpuCheck: z.string().nullable(),
    }),
  },
  /** Batch step 1 (decode, detect or take the stored faces, align); the worker keeps the pixels under `token`. */
  prepare: { params: z.object({ token, engine: engineSpecSchema, input: photoInputSchema }), result: prepareResultSchema },
  /** Batch step 2: the model, on the faces prepared under `token`. */
  restore: { params: z.object({ token }), result: restoreResultSchema },
  /** Batch step 3 (paste, scale, encode, pairs) to the given temporary paths; frees `token`. */
  finish: { params: z.object({ token, targets: finishTargetsSchema, pairLabels: z.boolean() }), result: timingsResult },
  /**
   * A before/after pair of a restored photo (the export): the original scaled like the restored
   * file next to it, written to the given (temporary) paths.
   */
  writePair: {
    params: z.object({
      original: absPath,
      restored: absPath,
      targets: finishTargetsSchema.omit({ image: true }),
      format: z.enum(OUTPUT_FORMATS),
      quality: z.number().int().min(1).max(100),
      labels: z.boolean(),
    }),
    result: empty,
  },
  /** A photo's upright size from its header (import), or why the file is no readable image. */
  imageHeader: {
    params: z.object({ path: absPath }),
    result: z.union([z.object({ width: z.number().int().positive(), height: z.number().int().positive() }), z.object({ error: z.string() })]),
  },
  /**
   * A display copy of a photo for the app (gallery thumbnail, viewer preview): upright, at most
   * `size` a side, on white, sRGB JPEG, written to `out` (a temporary name; the main process renames it).
   */
  displayCopy: {
    params: z.object({ source: absPath, out: absPath, size: z.number().int().min(16).max(16384), quality: z.number().int().min(1).max(100) }),
    result: empty,
  },
  /**
   * Checks that a checkpoint file holds every tensor (name, shape, dtype) the networks of `arch`
   * need, as a build does, before it is installed (a UserError lists what does not match).
   * `label` names the file in messages (the user's file, not the copy being checked).
   */
  checkCheckpoint: {
    params: z.object({ checkpoint: absPath, arch: z.string().min(1).nullable(), label: z.string().min(1) }),
    result: z.object({ tensors: z.number().int().nonnegative() }),
  },
  /** Frees what `token` holds (a photo the batch dropped). */
  release: { params: z.object({ token }), result: empty },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type WorkerMethod = keyof typeof workerMethods;
export type WorkerParams<M extends WorkerMethod> = z.infer<(typeof workerMethods)[M]['params']>;
export type WorkerResult<M extends WorkerMethod> = z.infer<(typeof workerMethods)[M]['result']>;

export const WORKER_METHODS = Object.keys(workerMethods) as WorkerMethod[];

export function isWorkerMethod(m: unknown): m is WorkerMethod {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(workerMethods, m);
}

/** A readable list of what is wrong with a value, for error messages. */
function describe(error: z.ZodError, what: string): string {
  return `${what}: ${error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ')}`;
}

/** Checks a call's params in the worker. Returns the parsed params or a message naming the bad field. */
export function parseWorkerParams<M extends WorkerMethod>(method: M, params: unknown): { ok: true; value: WorkerParams<M> } | { ok: false; message: string } {
  const r = workerMethods[method].params.safeParse(params ?? {});
  return r.success ? { ok: true, value: r.data as WorkerParams<M> } : { ok: false, message: describe(r.error, `bad ${method} request`) };
}

/** Checks a result in the main process. */
export function parseWorkerResult<M extends WorkerMethod>(method: M, result: unknown): { ok: true; value: WorkerResult<M> } | { ok: false; message: string } {
  const r = workerMethods[method].result.safeParse(result);
  return r.success ? { ok: true, value: r.data as WorkerResult<M> } : { ok: false, message: describe(r.error, `bad ${method} result from the inference process`) };
}

// ---------- messages ----------

/** main -> worker */
export type ToWorker = { type: 'call'; id: number; method: WorkerMethod; params: unknown } | { type: 'cancel'; id: number };

export interface WorkerProgress {
  stage: PhotoStage;
  /** 0..1 within the stage. */
  fraction: number;
}

export interface WorkerErrorInfo {
  message: string;
  /** 'cancelled' when the call stopped on request; 'user' for bad input (clear message). */
  kind: 'cancelled' | 'user' | 'internal';
}

/** worker -> main */
export type FromWorker =
  | { type: 'ready'; pid: number }
  /** The process cannot work on this computer (a native library does not load); why, in words. */
  | { type: 'fatal'; message: string }
  | { type: 'progress'; id: number; progress: WorkerProgress }
  /** A one-line note for the user about a call (e.g. "building the networks, first use"). */
  | { type: 'status'; id: number; message: string }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: WorkerErrorInfo };

const messageId = z.number().int().nonnegative().refine(Number.isSafeInteger);
const toWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id: messageId, method: z.string().refine(isWorkerMethod), params: z.unknown() }),
  z.object({ type: z.literal('cancel'), id: messageId }),
]);
const PHOTO_STAGES = ['decode', 'detect', 'repair', 'align', 'restore', 'paste', 'encode'] as const satisfies readonly PhotoStage[];
const fromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int() }),
  z.object({ type: z.literal('fatal'), message: z.string().max(2000) }),
  z.object({ type: z.literal('progress'), id: messageId, progress: z.object({ stage: z.enum(PHOTO_STAGES), fraction: z.number().min(0).max(1) }) }),
  z.object({ type: z.literal('status'), id: messageId, message: z.string().max(2000) }),
  z.object({ type: z.literal('result'), id: messageId, result: z.unknown() }),
  z.object({ type: z.literal('error'), id: messageId, error: z.object({ message: z.string(), kind: z.enum(['cancelled', 'user', 'internal']) }) }),
]);

/** Shape check of a message from the main process (the worker trusts its parent, but not blindly). */
export function parseToWorker(m: unknown): ToWorker | null {
  const r = toWorkerSchema.safeParse(m);
  if (!r.success) return null;
  return r.data.type === 'call' ? { type: 'call', id: r.data.id, method: r.data.method as WorkerMethod, params: r.data.params ?? {} } : r.data;
}

/** Shape check of a message from the worker; a result's own shape is checked against its method. */
export function parseFromWorker(m: unknown): FromWorker | null {
  const r = fromWorkerSchema.safeParse(m);
  return r.success ? (r.data as FromWorker) : null;
}
