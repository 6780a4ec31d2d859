/**
 * What the inference process does for each protocol method, one file per area. Only this
 * process runs the pipeline and the engine. Params were checked against the protocol's schema
 * before a handler runs (entry.ts).
 */
import { WORKER_METHODS, type WorkerMethod } from '../../../src-shared/worker-protocol.ts';
import { batchHandlers } from './batch.ts';
import { checkpointHandlers } from './checkpoint.ts';
import type { Handlers } from './context.ts';
import { engineHandlers } from './engine.ts';
import { faceHandlers } from './faces.ts';
import { mediaHandlers } from './media.ts';
import { pairHandlers } from './pair.ts';
import { repairHandlers } from './repair.ts';

export const handlers: Handlers<WorkerMethod> = {
  ping: async () => ({ pid: process.pid, methods: [...WORKER_METHODS] }),
  ...faceHandlers,
  ...engineHandlers,
  ...batchHandlers,
  ...pairHandlers,
  ...mediaHandlers,
  ...checkpointHandlers,
  ...repairHandlers,
};
