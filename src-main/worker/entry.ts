/**
 * The inference process. Started by InferenceWorker (client.ts) as a Node child (`fork`, with
 * `--import tsx` in dev) or an Electron utilityProcess; talks the protocol of
 * src-shared/worker-protocol.ts. It first loads its native libraries: when they cannot load
 * (an Intel Mac, Windows without the Visual C++ runtime) it says why in a `fatal` message and
 * waits for the main process to stop it, instead of dying with a loader error.
 */
import { nativeRuntimeProblem } from './native-check.ts';
import { useSharpWasmInElectronOnLinux } from './sharp-build.ts';
import { connect } from './channel.ts';

useSharpWasmInElectronOnLinux();
const channel = connect();
const problem = nativeRuntimeProblem();
if (problem !== null) {
  console.error(`heirloom worker: ${problem}`);
  channel.post({ type: 'fatal', message: problem });
} else {
  // Loaded only now: the pipeline's modules load sharp and ONNX Runtime as they are imported.
  void Promise.all([import('./serve.ts'), import('./handlers/index.ts')]).then(([{ serve }, { handlers }]) => serve(channel, handlers));
}
