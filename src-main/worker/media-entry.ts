/**
 * The media process: the app's image chores (import headers, thumbnails, previews) in a worker
 * process of their own, so they never wait behind a restore and sharp never runs in Electron's
 * main process. It loads sharp only, not ONNX Runtime: the gallery works even where the model
 * cannot run (an Intel Mac, Windows without the Visual C++ runtime), and it starts quickly.
 * Same protocol and call loop as the inference process (entry.ts), fewer methods.
 */
import { WORKER_METHODS } from '../../src-shared/worker-protocol.ts';
import { connect } from './channel.ts';
import { nativeRuntimeProblem } from './native-check.ts';
import { useSharpWasmInElectronOnLinux } from './sharp-build.ts';

useSharpWasmInElectronOnLinux();
const channel = connect();
const problem = nativeRuntimeProblem(undefined, ['sharp']);
if (problem !== null) {
  console.error(`heirloom media worker: ${problem}`);
  channel.post({ type: 'fatal', message: problem });
} else {
  void Promise.all([import('./serve.ts'), import('./handlers/media.ts')]).then(([{ serve }, { mediaHandlers }]) =>
    serve(channel, {
      ping: async () => ({ pid: process.pid, methods: WORKER_METHODS.filter((m) => m === 'ping' || m in mediaHandlers) }),
      ...mediaHandlers,
    }),
  );
}
