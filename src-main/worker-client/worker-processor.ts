/**
 * The batch queue's PhotoProcessor over the inference process: each step is a worker call and
 * the photo's pixels stay there under a token. Cancelling the queue's signal cancels the call
 * (softly, then by killing the process after a grace period).
 */
import type { EngineSpec, WorkerProgress } from '../../src-shared/worker-protocol.ts';
import { checkpointIdentity } from '../checkpoint/identity.ts';
import { PhotoCrashedError, type FinishTargets, type ModelUsed, type PhotoInput, type PhotoProcessor, type Prepared, type StageContext } from '../jobs/photo-processor.ts';
import { JobFatalError } from '../jobs/output-folder.ts';
import { WorkerCallError, WorkerUnavailableError, type CallOptions, type InferenceWorker } from './client.ts';
import type { WorkerMethod, WorkerParams, WorkerResult } from '../../src-shared/worker-protocol.ts';

export interface WorkerProcessorOptions {
  /** Which model runs a photo with these settings (the checkpoint is resolved by the caller). */
  engine: (settings: PhotoInput['settings']) => Promise<EngineSpec>;
  /** Write "Before" / "After" on side-by-side pairs. */
  pairLabels?: boolean;
  /** Notes from the worker for the user (building the model, GPU fallback). */
  onStatus?: (message: string) => void;
}

/** A call that never ran because the process stopped under an earlier one (after retries: a crash). */
class InterruptedCall extends PhotoCrashedError {}

/** What a token was prepared from, and in which process (the `starts` count of the worker then). */
interface TokenRecord {
  input: PhotoInput;
  process: number;
}

export class WorkerPhotoProcessor implements PhotoProcessor<number, number> {
  readonly #worker: InferenceWorker;
  readonly #options: WorkerProcessorOptions;
  #nextToken = 1;
  readonly #tokens = new Map<number, TokenRecord>();

  constructor(worker: InferenceWorker, options: WorkerProcessorOptions) {
    this.#worker = worker;
    this.#options = options;
  }

  /** The checkpoint's content hash, computed here (memoised by size and mtime) before any photo runs. */
  async modelSha256(settings: PhotoInput['settings']): Promise<string> {
    return checkpointIdentity((await this.#options.engine(settings)).checkpoint);
  }

  async prepare(input: PhotoInput, ctx: StageContext): Promise<Prepared<number>> {
    const { result, token } = await this.#prepareToken(input, ctx);
    return { ...result, state: token };
  }

  async restore(prepared: Prepared<number>, ctx: StageContext): Promise<{ state: number; timingsMs: Record<string, number>; model: ModelUsed }> {
    const { token, result: r } = await this.#restoreLive(prepared.state, ctx);
    // What the worker really ran, as it says: the sidecar records this, not what we asked for.
    return { state: token, timingsMs: r.timingsMs, model: { description: r.description, sha256: r.modelSha256 } };
  }

  async finish(_prepared: Prepared<number>, restored: number, targets: FinishTargets, ctx: StageContext): Promise<{ timingsMs: Record<string, number> }> {
    let token = restored;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.#call('finish', { token, targets, pairLabels: this.#options.pairLabels ?? false }, ctx);
        } catch (err) {
          // The restored faces were in the process that stopped before this call ran: restore again.
          if (!(err instanceof InterruptedCall) || attempt >= 2) throw err;
          token = (await this.#restoreLive(token, ctx)).token;
        }
      }
    } finally {
      this.#tokens.delete(token);
    }
  }

  async #restoreLive(prepared: number, ctx: StageContext): Promise<{ token: number; result: WorkerResult<'restore'> }> {
    let token = prepared;
    for (let attempt = 0; ; attempt++) {
      token = await this.#live(token, ctx);
      try {
        return { token, result: await this.#call('restore', { token }, ctx) };
      } catch (err) {
        if (!(err instanceof InterruptedCall) || attempt >= 2) throw err;
      }
    }
  }

  async #prepareToken(input: PhotoInput, ctx: StageContext): Promise<{ result: WorkerResult<'prepare'>; token: number }> {
    const engine = await this.#options.engine(input.settings);
    for (let attempt = 0; ; attempt++) {
      const token = this.#nextToken++;
      try {
        const result = await this.#call('prepare', { token, engine, input }, ctx);
        this.#tokens.set(token, { input, process: this.#worker.starts });
        return { result, token };
      } catch (err) {
        // It never ran: send it again to the fresh process.
        if (!(err instanceof InterruptedCall) || attempt >= 2) throw err;
      }
    }
  }

  /**
   * The token of a prepared photo in the process now running: a photo prepared ahead by a process
   * that has since stopped (another photo crashed it) is prepared again, not failed.
   */
  async #live(token: number, ctx: StageContext): Promise<number> {
    const rec = this.#tokens.get(token);
    if (rec === undefined || (rec.process === this.#worker.starts && this.#worker.pid !== undefined)) return token;
    this.#tokens.delete(token);
    return (await this.#prepareToken(rec.input, ctx)).token;
  }

  /**
   * One worker call. The call the process stopped in is this photo's crash (PhotoCrashedError);
   * one that was waiting its turn then never ran (InterruptedCall: the caller sends it again).
   */
  async #call<M extends WorkerMethod>(method: M, params: WorkerParams<M>, ctx: StageContext): Promise<WorkerResult<M>> {
    try {
      return await this.#worker.call(method, params, this.#callOptions(ctx));
    } catch (err) {
      // The process cannot run on this computer (e.g. no Visual C++ runtime): the batch stops with
      // why, the photos stay queued for when it is fixed.
      if (err instanceof WorkerUnavailableError) throw new JobFatalError(err.message);
      if (err instanceof WorkerCallError && err.kind === 'interrupted') throw new InterruptedCall(err.message);
      if (err instanceof WorkerCallError && err.kind === 'crashed') throw new PhotoCrashedError(err.message);
      throw err;
    }
  }

  #callOptions(ctx: StageContext): CallOptions {
    return { signal: ctx.signal, onProgress: (p: WorkerProgress) => ctx.onStage(p.stage, p.fraction), onStatus: this.#options.onStatus };
  }
}
