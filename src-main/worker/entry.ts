/**
 * The inference process. Started by InferenceWorker (client.ts) as a Node child (`fork`, with
 * `--import tsx` in dev) or an Electron utilityProcess; talks the protocol of
 * src-shared/worker-protocol.ts. It first loads its native libraries: when they cannot load
 * (an Intel Mac, Windows without the Visual C++ runtime) it says why in a `fatal` message and
 * waits for the main process to stop it, instead of dying with a loader error.
 */
import { nativeRuntimeProblem } from './native-check.ts';
import { useSharpWasmInElectronOnLinux } from './sharp-build.ts';
import type { WorkerChannel } from './serve.ts';

interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

function connect(): WorkerChannel {
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

useSharpWasmInElectronOnLinux();
const channel = connect();
const problem = nativeRuntimeProblem();
if (problem !== null) {
  console.error(`heirloom worker: ${problem}`);
  channel.post({ type: 'fatal', message: problem });
} else {
  // Loaded only now: the pipeline's modules load sharp and ONNX Runtime as they are imported.
  void import('./serve.ts').then(({ serve }) => serve(channel));
}
