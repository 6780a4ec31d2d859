/**
 * What the inference process does for each method. Only this process imports the pipeline and
 * the engine (layering rule). Params come from our own main process but still carry user paths:
 * they are shape-checked here before any file is touched.
 */
import { z } from 'zod';
import type { PhotoStage } from '../../src-shared/ipc.ts';
import { decodePhoto } from '../pipeline/decode.ts';
import { detectFaces } from '../pipeline/detect.ts';
import { UserError } from '../util/errors.ts';
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
});

const paramSchemas = {
  ping: z.object({}),
  detect: z.object({ path: absPath }),
  alignFace: z.object({ path: absPath, face: faceSchema, outPath: absPath }),
  previewFace: z.object({
    path: absPath,
    face: faceSchema,
    checkpoint: absPath,
    settings: z.record(z.string(), z.unknown()),
    seed: z.number().int().min(0),
    out: z.object({ aligned: absPath, mean: absPath, flow: absPath }),
  }),
} satisfies Record<WorkerMethod, z.ZodType>;

/** Throws a UserError naming the bad field; the client sees a readable 'user' error. */
export function checkParams(method: WorkerMethod, params: unknown): void {
  const r = paramSchemas[method].safeParse(params);
  if (!r.success) throw new UserError(`bad ${method} request: ${r.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ')}`);
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

function notYet(what: string): never {
  throw new UserError(`${what} is not available in this build yet`);
}

export const handlers: Handlers = {
  ping: async () => ({ pid: process.pid, methods: Object.keys(paramSchemas) as WorkerMethod[] }),

  detect: async ({ path }, ctx) => {
    ctx.progress('decode', 0);
    const photo = await decodePhoto(path);
    throwIfAborted(ctx.signal);
    ctx.progress('detect', 0);
    const faces = await detectFaces(photo.image);
    ctx.progress('detect', 1);
    return { path, width: photo.image.width, height: photo.image.height, faces };
  },

  alignFace: async () => notYet('face alignment'),

  previewFace: async () => notYet('face restoration'),
};
