/**
 * A worker process's call loop (the inference process's and the media process's), started by its
 * entry once the native libraries loaded.
 * Calls run one at a time (one photo's pixels and one ONNX run in memory at once); a cancel
 * aborts the call's signal, which the pipeline checks between faces and stages.
 */
import { UserError } from '../util/errors.ts';
import { useAllCoresForSharp } from './sharp-threads.ts';
import { parseToWorker, parseWorkerParams, type ToWorker, type WorkerMethod } from '../../src-shared/worker-protocol.ts';
import type { WorkerChannel } from './channel.ts';
import { CancelledError, type CallContext, type Handlers } from './handlers/context.ts';

/** Serves the methods in `handlers`; a call to another method is answered with an error. */
export function serve(channel: WorkerChannel, handlers: Partial<Handlers<WorkerMethod>>): void {
  useAllCoresForSharp();
  const queue: Extract<ToWorker, { type: 'call' }>[] = [];
  const aborts = new Map<number, AbortController>();
  let busy = false;

  channel.listen((raw) => {
    const m = parseToWorker(raw);
    if (m === null) return;
    if (m.type === 'cancel') {
      const i = queue.findIndex((q) => q.id === m.id);
      if (i >= 0) {
        queue.splice(i, 1);
        channel.post({ type: 'error', id: m.id, error: { message: 'cancelled', kind: 'cancelled' } });
      } else aborts.get(m.id)?.abort();
      return;
    }
    queue.push(m);
    void pump();
  });

  async function pump(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await run(next.id, next.method, next.params);
    } finally {
      busy = false;
    }
  }

  async function run(id: number, method: WorkerMethod, params: unknown): Promise<void> {
    const ac = new AbortController();
    aborts.set(id, ac);
    let lastProgress = 0;
    const ctx: CallContext = {
      signal: ac.signal,
      progress: (stage, fraction) => {
        // About ten a second is plenty for a progress bar.
        const now = Date.now();
        if (fraction < 1 && fraction > 0 && now - lastProgress < 100) return;
        lastProgress = now;
        channel.post({ type: 'progress', id, progress: { stage, fraction } });
      },
      status: (message) => channel.post({ type: 'status', id, message }),
    };
    try {
      const checked = parseWorkerParams(method, params);
      if (!checked.ok) throw new UserError(checked.message);
      const handler = handlers[method] as ((p: unknown, c: CallContext) => Promise<unknown>) | undefined;
      if (handler === undefined) throw new Error(`this process does not do ${method}`);
      const result = await handler(checked.value, ctx);
      channel.post({ type: 'result', id, result });
    } catch (err) {
      const cancelled = err instanceof CancelledError || ac.signal.aborted;
      const kind = cancelled ? 'cancelled' : err instanceof UserError ? 'user' : 'internal';
      const message = cancelled ? 'cancelled' : err instanceof Error ? err.message : String(err);
      if (kind === 'internal') console.error(`heirloom worker: ${method} failed:`, err);
      channel.post({ type: 'error', id, error: { message, kind } });
    } finally {
      aborts.delete(id);
    }
  }

  channel.post({ type: 'ready', pid: process.pid });
}
