/** What every worker handler gets and how it is typed from the protocol. */
import type { PhotoStage } from '../../../src-shared/ipc.ts';
import type { StageContext, WorkerMethod, WorkerParams, WorkerResult } from '../../../src-shared/worker-protocol.ts';

export interface CallContext {
  signal: AbortSignal;
  progress(stage: PhotoStage, fraction: number): void;
  /** A one-line note for the user (model building, device fallback). */
  status(message: string): void;
}

export type Handler<M extends WorkerMethod> = (params: WorkerParams<M>, ctx: CallContext) => Promise<WorkerResult<M>>;
export type Handlers<M extends WorkerMethod> = { [K in M]: Handler<K> };

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** The pipeline's stage reports as worker progress messages. */
export function stageContext(ctx: CallContext): StageContext {
  return { signal: ctx.signal, onStage: (stage, fraction = 0) => ctx.progress(stage, fraction) };
}
