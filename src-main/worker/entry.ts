/**
 * The inference process. Started by InferenceWorker (client.ts) as a Node child (`fork`, with
 * `--import tsx` in dev) or an Electron utilityProcess; talks the protocol of src-shared/worker-protocol.ts.
 * Calls run one at a time (one photo's pixels and one ONNX run in memory at once); a cancel
 * aborts the call's signal, which the pipeline checks between faces and stages.
 */
import { UserError } from '../util/errors.ts';
import { useAllCoresForSharp } from './sharp-threads.ts';
import { parseToWorker, parseWorkerParams, type FromWorker, type ToWorker, type WorkerMethod } from '../../src-shared/worker-protocol.ts';
import { CancelledError, type CallContext } from './handlers/context.ts';
import { handlers } from './handlers/index.ts';

interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

function connect(): { post(m: FromWorker): void; listen(l: (m: unknown) => void): void } {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    return { post: (m) => parentPort.postMessage(m), listen: (l) => parentPort.on('message', (e) => l(e.data)) };
  }
  if (typeof process.send === 'function') {
    // The parent going away (crash, kill) must not leave an orphan running ONNX.
    process.on('disconnect', () => process.exit(0));
    // Ctrl-C in a terminal reaches the whole process group: the parent decides what stops
    // (it cancels the call, or kills this process), so the worker does not die on its own.
    process.on('SIGINT', () => {});
    return {
      post: (m) => {
        if (process.connected) process.send!(m);
      },
      listen: (l) => process.on('message', l),
    };
  }
  throw new Error('heirloom worker: no parent to talk to (start it through InferenceWorker)');
}

useAllCoresForSharp();
const channel = connect();
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
    const handler = handlers[method] as (p: unknown, c: CallContext) => Promise<unknown>;
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
