/**
 * A worker process's link to the main process: Electron's parentPort in a utilityProcess, Node's
 * IPC channel in a forked child. Shared by the worker entries (entry.ts, media-entry.ts).
 */
import type { FromWorker } from '../../src-shared/worker-protocol.ts';

/** The link to the main process. */
export interface WorkerChannel {
  post(m: FromWorker): void;
  listen(l: (m: unknown) => void): void;
}

interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function connect(): WorkerChannel {
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
