/**
 * The batch queue's PhotoProcessor over the inference process: each step is a worker call and
 * the photo's pixels stay there under a token. Cancelling the queue's signal cancels the call
 * (softly, then by killing the process after a grace period).
 */
import type { EngineSpec, WorkerProgress } from '../../src-shared/worker-protocol.ts';
import { checkpointIdentity } from '../checkpoint/identity.ts';
import type { FinishTargets, ModelUsed, PhotoInput, PhotoProcessor, Prepared, StageContext } from '../jobs/photo-processor.ts';
import type { CallOptions, InferenceWorker } from './client.ts';

export interface WorkerProcessorOptions {
  /** Which model runs a photo with these settings (the checkpoint is resolved by the caller). */
  engine: (settings: PhotoInput['settings']) => Promise<EngineSpec>;
  /** Write "Before" / "After" on side-by-side pairs. */
  pairLabels?: boolean;
  /** Notes from the worker for the user (building the model, GPU fallback). */
  onStatus?: (message: string) => void;
}

export class WorkerPhotoProcessor implements PhotoProcessor<number, number> {
  readonly #worker: InferenceWorker;
  readonly #options: WorkerProcessorOptions;
  #nextToken = 1;

  constructor(worker: InferenceWorker, options: WorkerProcessorOptions) {
    this.#worker = worker;
    this.#options = options;
  }

  /** The checkpoint's content hash, computed here (memoised by size and mtime) before any photo runs. */
  async modelSha256(settings: PhotoInput['settings']): Promise<string> {
    return checkpointIdentity((await this.#options.engine(settings)).checkpoint);
  }

  async prepare(input: PhotoInput, ctx: StageContext): Promise<Prepared<number>> {
    const token = this.#nextToken++;
    const engine = await this.#options.engine(input.settings);
    const r = await this.#worker.call('prepare', { token, engine, input }, this.#callOptions(ctx));
    return { ...r, state: token };
  }

  async restore(prepared: Prepared<number>, ctx: StageContext): Promise<{ state: number; timingsMs: Record<string, number>; model: ModelUsed }> {
    const r = await this.#worker.call('restore', { token: prepared.state }, this.#callOptions(ctx));
    // What the worker really ran, as it says: the sidecar records this, not what we asked for.
    return { state: prepared.state, timingsMs: r.timingsMs, model: { description: r.description, sha256: r.modelSha256 } };
  }

  async finish(prepared: Prepared<number>, _restored: number, targets: FinishTargets, ctx: StageContext): Promise<{ timingsMs: Record<string, number> }> {
    return this.#worker.call('finish', { token: prepared.state, targets, pairLabels: this.#options.pairLabels ?? false }, this.#callOptions(ctx));
  }

  #callOptions(ctx: StageContext): CallOptions {
    return { signal: ctx.signal, onProgress: (p: WorkerProgress) => ctx.onStage(p.stage, p.fraction), onStatus: this.#options.onStatus };
  }
}
