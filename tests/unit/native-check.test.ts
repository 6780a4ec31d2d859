import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INTEL_MAC_MESSAGE, nativeRuntimeProblem, processNativeEnv, VC_RUNTIME_MESSAGE, type NativeEnv } from '../../src-main/worker/native-check.ts';

function env(over: Partial<NativeEnv>): NativeEnv {
  return { platform: 'linux', arch: 'x64', system32: 'C:\\Windows\\System32', fileExists: () => true, load: () => ({}), ...over };
}

test('the real native libraries load on this machine', () => {
  assert.equal(nativeRuntimeProblem(processNativeEnv()), null);
});

test('an Intel Mac is told it needs Apple silicon, before anything is loaded', () => {
  const loaded: string[] = [];
  assert.equal(nativeRuntimeProblem(env({ platform: 'darwin', arch: 'x64', load: (n) => loaded.push(n) })), INTEL_MAC_MESSAGE);
  assert.deepEqual(loaded, []);
  assert.equal(nativeRuntimeProblem(env({ platform: 'darwin', arch: 'arm64' })), null);
});

test('Windows without the Visual C++ runtime DLLs is told what to install', () => {
  const seen: string[] = [];
  const missing = env({ platform: 'win32', fileExists: (f) => (seen.push(f), !f.endsWith('vcruntime140_1.dll')) });
  assert.equal(nativeRuntimeProblem(missing), VC_RUNTIME_MESSAGE);
  assert.ok(seen.includes('C:\\Windows\\System32\\msvcp140.dll'), seen.join(', '));
  assert.match(VC_RUNTIME_MESSAGE, /Visual C\+\+ runtime.*https:\/\/aka\.ms\/vs\/17\/release\/vc_redist\.x64\.exe/);
});

test("Windows' loader error for a missing DLL becomes the runtime message; other failures name the library", () => {
  const dllMissing = env({
    platform: 'win32',
    load: () => {
      throw new Error('\\\\?\\C:\\Heirloom\\onnxruntime_binding.node: The specified module could not be found.');
    },
  });
  assert.equal(nativeRuntimeProblem(dllMissing), VC_RUNTIME_MESSAGE);
  const broken = env({
    load: (n) => {
      if (n === 'sharp') throw new Error('Could not load the "sharp" module using the linux-x64 runtime\nPossible solutions: ...');
    },
  });
  assert.equal(
    nativeRuntimeProblem(broken),
    `Heirloom's image library (sharp) could not be loaded on this computer (Could not load the "sharp" module using the linux-x64 runtime). Reinstalling Heirloom may help.`,
  );
});
