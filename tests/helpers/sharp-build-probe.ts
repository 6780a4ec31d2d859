// Child-process probe for tests/integration/sharp-builds.test.ts: applies the worker's sharp-build choice
// as an Electron process on Linux would (argv[2] = 'electron') or as plain Node, then loads sharp
// and prints which build it got.
import { createRequire } from 'node:module';
import { useSharpWasmInElectronOnLinux } from '../../src-main/worker/sharp-build.ts';

const hidden = useSharpWasmInElectronOnLinux({ platform: 'linux', electron: process.argv[2] === 'electron' ? '45.5.0' : undefined });
const sharp = createRequire(import.meta.url)('sharp') as { versions: Record<string, string> };
console.log(JSON.stringify({ hidden, build: 'emscripten' in sharp.versions ? 'wasm' : 'native' }));
