/**
 * What the inference process does for each method. Only this process imports the pipeline and
 * the engine (layering rule). Params come from our own main process but still carry user paths:
 * they are shape-checked here before any file is touched.
 */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { z } from 'zod';
import { restoreSettingsSchema, type PhotoStage } from '../../src-shared/ipc.ts';
import { DEVICES, PAIR_MODES, type Device } from '../../src-shared/settings.ts';
import { exportPhoto } from '../export/export-photos.ts';
import { resolveArch } from './inference/arch.ts';
import { hditFlops, swinirFlops } from './inference/flops.ts';
import { providerPlan } from './inference/session.ts';
import type { Prepared, StageContext } from '../jobs/photo-processor.ts';
import { alignFaces } from './pipeline/align.ts';
import { decodePhoto } from './pipeline/decode.ts';
import { detectFaces, landmarksInBox } from './pipeline/detect.ts';
import type { RestoreOptions } from './pipeline/face-restorer.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { UserError } from '../util/errors.ts';
import { engineFor, keepPrepared, release, slot } from './engine-state.ts';
import type { WorkerMethod, WorkerMethods } from './protocol.ts';

export interface CallContext {
  signal: AbortSignal;
  progress(stage: PhotoStage, fraction: number): void;
}

type Handler<M extends WorkerMethod> = (params: WorkerMethods[M]['params'], ctx: CallContext) => Promise<WorkerMethods[M]['result']>;
export type Handlers = { [M in WorkerMethod]: Handler<M> };

const absPath = z.string().min(1).refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'), 'must be an absolute path');
const point = z.tuple([z.number(), z.number()]);
const faceSchema = z.object({
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  score: z.number(),
  points: z.tuple([point, point, point, point, point]),
  skipped: z.literal('too-small').optional(),
  manual: z.literal(true).optional(),
});
const faceSize = z.number().int().min(64).max(2048).multipleOf(64);
const engineSchema = z.object({ checkpoint: absPath, arch: z.string().min(1).nullable(), faceSize, device: z.enum(DEVICES) });
const token = z.number().int().nonnegative();
const knownFace = faceSchema.extend({ id: z.number().int(), photoId: z.number().int(), include: z.boolean(), seed: z.number().int().min(0) });

const paramSchemas = {
  ping: z.object({}),
  detect: z.object({ path: absPath }),
  landmarks: z.object({ path: absPath, box: z.tuple([z.number(), z.number(), z.number().positive(), z.number().positive()]) }),
  alignFace: z.object({ path: absPath, face: faceSchema, faceSize, outPath: absPath }),
  previewFace: z.object({
    path: absPath,
    face: faceSchema,
    engine: engineSchema,
    settings: restoreSettingsSchema,
    seed: z.number().int().min(0),
    out: z.object({ aligned: absPath, mean: absPath, flow: absPath }),
  }),
  engineInfo: z.object({ engine: engineSchema.omit({ checkpoint: true }), steps: z.number().int().min(1) }),
  prepare: z.object({
    token,
    engine: engineSchema,
    input: z.object({ path: absPath, settings: restoreSettingsSchema, knownFaces: z.array(knownFace).nullable() }),
  }),
  restore: z.object({ token }),
  finish: z.object({
    token,
    targets: z.object({ image: absPath, sideBySide: absPath.nullable(), before: absPath.nullable(), after: absPath.nullable() }),
  }),
  exportPhoto: z.object({ original: absPath, restored: absPath, folder: absPath, pairs: z.enum(PAIR_MODES), labels: z.boolean(), quality: z.number().int().min(1).max(100) }),
  release: z.object({ token }),
} satisfies Record<WorkerMethod, z.ZodType>;

/** Throws a UserError naming the bad field; the client sees a readable 'user' error. */
export function checkParams(method: WorkerMethod, params: unknown): void {
  const r = paramSchemas[method].safeParse(params);
  if (!r.success) throw new UserError(`bad ${method} request: ${r.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ')}`);
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

function stageContext(ctx: CallContext): StageContext {
  return { signal: ctx.signal, onStage: (stage, fraction = 0) => ctx.progress(stage, fraction) };
}

/** [3,S,S] float planes in [0,1] -> an RGB PNG, written to a temp name then renamed. */
async function writeFacePng(planes: Float32Array, offset: number, size: number, out: string): Promise<void> {
  const plane = size * size;
  const rgb = Buffer.alloc(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(Math.min(1, Math.max(0, planes[offset + c * plane + i])) * 255);
  }
  await writeFileAtomic(out, (temp) => sharp(rgb, { raw: { width: size, height: size, channels: 3 } }).png().toFile(temp));
}

/** Rough throughput of each device class, GFLOP/s, for the time estimate shown before a batch. */
const GFLOPS: Record<Exclude<Device, 'auto'>, number> = { cpu: 130, cuda: 20000, dml: 8000, coreml: 4000 };

export const handlers: Handlers = {
  ping: async () => ({ pid: process.pid, methods: Object.keys(paramSchemas) as WorkerMethod[] }),

  detect: async ({ path }, ctx) => {
    ctx.progress('decode', 0);
    const photo = await decodePhoto(path);
    if (ctx.signal.aborted) throw new CancelledError();
    ctx.progress('detect', 0);
    const faces = await detectFaces(photo.image);
    ctx.progress('detect', 1);
    return { path, width: photo.image.width, height: photo.image.height, faces };
  },

  landmarks: async ({ path, box }) => {
    const photo = await decodePhoto(path);
    const { width, height } = photo.image;
    if (box[0] < 0 || box[1] < 0 || box[0] + box[2] > width || box[1] + box[3] > height) {
      throw new UserError(`the face box is outside the photo (${width}x${height})`);
    }
    return { ...(await landmarksInBox(photo.image, box)), width, height };
  },

  alignFace: async ({ path, face, faceSize: size, outPath }) => {
    const photo = await decodePhoto(path);
    const aligned = await alignFaces(photo.image, [face], size);
    await writeFacePng(aligned.faces, 0, size, outPath);
    return { outPath };
  },

  previewFace: async ({ path, face, engine, settings, seed, out }, ctx) => {
    const t0 = performance.now();
    const { restorer } = await engineFor(engine);
    ctx.progress('decode', 0);
    const photo = await decodePhoto(path);
    ctx.progress('align', 0);
    const aligned = await alignFaces(photo.image, [face], engine.faceSize);
    await writeFacePng(aligned.faces, 0, engine.faceSize, out.aligned);
    if (ctx.signal.aborted) throw new CancelledError();
    ctx.progress('restore', 0);
    // Always the flow: its result carries the posterior mean too, so both ends come from one run.
    const options: RestoreOptions = { steps: settings.steps, mode: 'flow', seed, seeds: [seed], signal: ctx.signal };
    const r = await restorer.restore(aligned.faces, 1, options);
    await writeFacePng(r.mean, 0, engine.faceSize, out.mean);
    await writeFacePng(r.restored, 0, engine.faceSize, out.flow);
    return { timingsMs: { totalMs: Math.round(performance.now() - t0) }, description: restorer.description };
  },

  engineInfo: async ({ engine, steps }) => {
    const devices: Device[] = providerPlan('auto').order;
    const activeDevice: Device = engine.device === 'auto' ? (devices[0] ?? 'cpu') : engine.device;
    let secondsPerFace: number | null = null;
    try {
      const { config } = resolveArch(engine.arch ?? undefined);
      const gflop = (swinirFlops(config.swinir, engine.faceSize).total + steps * hditFlops(config.hdit, engine.faceSize).total) / 1e9;
      secondsPerFace = gflop / GFLOPS[activeDevice === 'auto' ? 'cpu' : activeDevice];
    } catch {
      secondsPerFace = null;
    }
    return { devices, activeDevice, secondsPerFace };
  },

  prepare: async ({ token: t, engine, input }, ctx) => {
    const { processor } = await engineFor(engine);
    const p = await processor.prepare(input, stageContext(ctx));
    keepPrepared(t, { processor, prepared: p as Prepared<unknown> });
    return { faces: p.faces, detected: p.detected, timingsMs: p.timingsMs };
  },

  restore: async ({ token: t }, ctx) => {
    const s = slot(t);
    const r = await s.processor.restore(s.prepared as never, stageContext(ctx));
    s.restored = r.state;
    return { timingsMs: r.timingsMs, description: s.processor.description };
  },

  finish: async ({ token: t, targets }, ctx) => {
    const s = slot(t);
    if (s.restored === null) throw new Error(`photo ${t} was not restored before finishing`);
    try {
      return await s.processor.finish(s.prepared as never, s.restored, targets, stageContext(ctx));
    } finally {
      release(t);
    }
  },

  exportPhoto: async (req) => ({ written: await exportPhoto(req) }),

  release: async ({ token: t }) => {
    release(t);
    return {};
  },
};
