/**
 * Main-process side of the inference process: typed calls with ids, progress, soft cancel,
 * and the hard cancel (kill; the next call starts a fresh process). Independent of how the
 * process is made: `SpawnWorker` is a Node `fork` (CLI, tests, dev server) or an Electron
 * `utilityProcess` (the app).
 */
import {
  parseFromWorker,
  parseWorkerResult,
  type ToWorker,
  type WorkerErrorInfo,
  type WorkerMethod,
  type WorkerParams,
  type WorkerProgress,
  type WorkerResult,
} from '../../src-shared/worker-protocol.ts';

/** A started inference process, whatever its kind. */
export interface WorkerProcess {
  readonly pid: number | undefined;
  send(message: ToWorker): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process is gone (exit code, or null when killed by a signal). */
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export type SpawnWorker = () => WorkerProcess;

const CRASHED = 'the inference process stopped unexpectedly';

/** A call that did not finish because it was cancelled (soft or hard). */
export class WorkerCancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'WorkerCancelledError';
  }
}

/**
 * The call failed inside the worker, or the worker died: 'crashed' for the call it was running
 * then, 'interrupted' for calls still waiting their turn (they never ran, so they can be sent again).
 */
export class WorkerCallError extends Error {
  readonly kind: WorkerErrorInfo['kind'] | 'crashed' | 'interrupted';
  constructor(message: string, kind: WorkerErrorInfo['kind'] | 'crashed' | 'interrupted') {
    super(message);
    this.name = 'WorkerCallError';
    this.kind = kind;
  }
}

/**
 * The worker cannot run on this computer at all (its native libraries do not load: an Intel Mac,
 * Windows without the Visual C++ runtime); the message says why and what to do.
 */
export class WorkerUnavailableError extends WorkerCallError {
  constructor(message: string) {
    super(message, 'user');
    this.name = 'WorkerUnavailableError';
  }
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (p: WorkerProgress) => void;
  /** Notes the worker has for the user during the call. */
  onStatus?: (message: string) => void;
}

interface Pending {
  /** Sent to the process (it runs calls one at a time, in the order sent). */
  sent: boolean;
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (p: WorkerProgress) => void;
  onStatus?: (message: string) => void;
  cleanup(): void;
}

interface Live {
  proc: WorkerProcess;
  ready: Promise<void>;
  pending: Map<number, Pending>;
  /** Why we are killing it (the error pending calls get), set before kill(). */
  killReason: string | null;
}

export interface InferenceWorkerOptions {
  /** After a soft cancel, how long to wait before killing the process (ONNX runs cannot stop midway). */
  graceMs?: number;
  /** How long a new process may take to say it is ready. */
  startTimeoutMs?: number;
}

export class InferenceWorker {
  readonly #spawn: SpawnWorker;
  readonly #graceMs: number;
  readonly #startTimeoutMs: number;
  #live: Live | null = null;
  #nextId = 1;
  #starts = 0;
  #disposed = false;

  constructor(spawn: SpawnWorker, options: InferenceWorkerOptions = {}) {
    this.#spawn = spawn;
    this.#graceMs = options.graceMs ?? 1500;
    this.#startTimeoutMs = options.startTimeoutMs ?? 60_000;
  }

  /** How many processes were started so far (a restart after a kill counts). */
  get starts(): number {
    return this.#starts;
  }

  get pid(): number | undefined {
    return this.#live?.proc.pid;
  }

  call<M extends WorkerMethod>(method: M, params: WorkerParams<M>, options: CallOptions = {}): Promise<WorkerResult<M>> {
    if (this.#disposed) return Promise.reject(new WorkerCallError('the inference process was shut down', 'crashed'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new WorkerCancelledError());
    const live = this.#ensure();
    const id = this.#nextId++;
    return new Promise<WorkerResult<M>>((resolve, reject) => {
      let graceTimer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        if (!live.pending.has(id)) return;
        live.proc.send({ type: 'cancel', id });
        // A long native run will not see the soft cancel: kill the process after the grace.
        graceTimer = setTimeout(() => {
          if (live.pending.has(id)) this.#kill(live, 'cancelled');
        }, this.#graceMs);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      live.pending.set(id, {
        sent: false,
        resolve: (v) => {
          // The worker is our own code, but a result still crosses a process boundary: check it.
          const checked = parseWorkerResult(method, v);
          if (checked.ok) resolve(checked.value);
          else reject(new WorkerCallError(checked.message, 'internal'));
        },
        reject,
        onProgress: options.onProgress,
        onStatus: options.onStatus,
        cleanup: () => {
          signal?.removeEventListener('abort', onAbort);
          if (graceTimer) clearTimeout(graceTimer);
        },
      });
      live.ready.then(
        () => {
          const p = live.pending.get(id);
          if (p === undefined) return;
          live.proc.send({ type: 'call', id, method, params });
          p.sent = true;
        },
        () => {},
      );
    });
  }

  /** Hard cancel: kills the process now; every pending call rejects with WorkerCancelledError. */
  kill(reason = 'cancelled'): void {
    if (this.#live) this.#kill(this.#live, reason);
  }

  /** Stops the process for good (app quit, test end). */
  dispose(): void {
    this.#disposed = true;
    this.kill('the inference process was shut down');
  }

  #ensure(): Live {
    if (this.#live) return this.#live;
    const proc = this.#spawn();
    this.#starts++;
    const pending = new Map<number, Pending>();
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    ready.catch(() => {});
    const live: Live = { proc, ready, pending, killReason: null };
    this.#live = live;
    const startTimer = setTimeout(() => {
      readyReject(new Error('timed out'));
      this.#kill(live, 'the inference process did not start in time');
    }, this.#startTimeoutMs);

    proc.onMessage((raw) => {
      const m = parseFromWorker(raw);
      if (m === null) return;
      if (m.type === 'ready') {
        clearTimeout(startTimer);
        readyResolve();
        return;
      }
      if (m.type === 'fatal') {
        // It cannot run here (e.g. a missing system runtime): every call gets the reason, in words.
        clearTimeout(startTimer);
        readyReject(new Error(m.message));
        for (const p of pending.values()) {
          p.cleanup();
          p.reject(new WorkerUnavailableError(m.message));
        }
        pending.clear();
        this.#kill(live, m.message);
        return;
      }
      const p = pending.get(m.id);
      if (p === undefined) return;
      if (m.type === 'progress') {
        p.onProgress?.(m.progress);
        return;
      }
      if (m.type === 'status') {
        p.onStatus?.(m.message);
        return;
      }
      pending.delete(m.id);
      p.cleanup();
      if (m.type === 'result') p.resolve(m.result);
      else if (m.error.kind === 'cancelled') p.reject(new WorkerCancelledError(m.error.message));
      else p.reject(new WorkerCallError(m.error.message, m.error.kind));
    });

    proc.onExit((code) => {
      clearTimeout(startTimer);
      if (this.#live === live) this.#live = null;
      const killed = live.killReason;
      readyReject(new Error('exited'));
      // Calls run one at a time in the order sent: the first one sent was running, the rest waited.
      let running = true;
      for (const p of pending.values()) {
        p.cleanup();
        if (killed !== null) p.reject(new WorkerCancelledError(killed));
        else if (p.sent && running) p.reject(new WorkerCallError(`${CRASHED} (exit code ${code ?? 'signal'})`, 'crashed'));
        else p.reject(new WorkerCallError(`${CRASHED} before this call ran`, 'interrupted'));
        if (p.sent) running = false;
      }
      pending.clear();
    });
    return live;
  }

  #kill(live: Live, reason: string): void {
    if (live.killReason !== null) return;
    live.killReason = reason;
    // Forget it now so the next call starts a fresh process without waiting for the exit event.
    if (this.#live === live) this.#live = null;
    live.proc.kill();
  }
}
