/**
 * The batch queue's PhotoProcessor, run in the inference process: each stage is a worker call
 * and the photo's pixels stay there under a token. Cancelling the queue's signal cancels the
 * call (softly, then by killing the process after a grace period).
 */
import type { FinishTargets, PhotoInput, PhotoProcessor, Prepared, StageContext } from '../jobs/photo-processor.ts';
import type { InferenceWorker } from './client.ts';
import type { EngineSpec } from '../worker/protocol.ts';

export class WorkerPhotoProcessor implements PhotoProcessor<number, number> {
  readonly modelSha256: string | null = null;
  readonly #worker: InferenceWorker;
  readonly #engine: (input: PhotoInput) => Promise<EngineSpec>;
  #nextToken = 1;
  #description = 'PMRF';

  constructor(worker: InferenceWorker, engine: (input: PhotoInput) => Promise<EngineSpec>) {
    this.#worker = worker;
    this.#engine = engine;
  }

  get description(): string {
    return this.#description;
  }

  async prepare(input: PhotoInput, ctx: StageContext): Promise<Prepared<number>> {
    const token = this.#nextToken++;
    const engine = await this.#engine(input);
    const r = await this.#worker.call('prepare', { token, engine, input }, this.#options(ctx));
    return { faces: r.faces, detected: r.detected, timingsMs: r.timingsMs, state: token };
  }

  async restore(prepared: Prepared<number>, ctx: StageContext): Promise<{ state: number; timingsMs: Record<string, number> }> {
    const r = await this.#worker.call('restore', { token: prepared.state }, this.#options(ctx));
    this.#description = r.description;
    return { state: prepared.state, timingsMs: r.timingsMs };
  }

  async finish(prepared: Prepared<number>, _restored: number, targets: FinishTargets, ctx: StageContext): Promise<{ timingsMs: Record<string, number> }> {
    return this.#worker.call('finish', { token: prepared.state, targets }, this.#options(ctx));
  }

  #options(ctx: StageContext) {
    return { signal: ctx.signal, onProgress: (p: { stage: Parameters<StageContext['onStage']>[0]; fraction: number }) => ctx.onStage(p.stage, p.fraction) };
  }
}
