/**
 * Loads the worker's native libraries (ONNX Runtime, sharp) before anything uses them, and turns
 * a failure into a sentence a photo owner can act on: an Intel Mac, a Windows PC without the
 * Visual C++ runtime, or a damaged install. Runs first in the inference process (entry.ts).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const VC_REDIST_URL = 'https://aka.ms/vs/17/release/vc_redist.x64.exe';

export const INTEL_MAC_MESSAGE =
  'Heirloom needs a Mac with Apple silicon (M1 or newer) to restore photos: ONNX Runtime, which runs the model, has no build for Intel Macs.';

export const VC_RUNTIME_MESSAGE =
  'Heirloom needs the Microsoft Visual C++ runtime (2015-2022, x64) to restore photos, and this PC does not have it. ' +
  `Install it from ${VC_REDIST_URL} (or reinstall Heirloom, whose installer adds it), then start Heirloom again.`;

/** The DLLs ONNX Runtime's Windows build imports from the Visual C++ runtime. */
export const VC_RUNTIME_DLLS = ['msvcp140.dll', 'vcruntime140.dll', 'vcruntime140_1.dll'];

export interface NativeEnv {
  platform: NodeJS.Platform;
  arch: string;
  /** Windows' System32 folder (where the Visual C++ redistributable puts its DLLs). */
  system32: string;
  fileExists(file: string): boolean;
  /** Loads a package (throws what `require` throws). */
  load(name: string): unknown;
}

const require = createRequire(import.meta.url);

export function processNativeEnv(): NativeEnv {
  return {
    platform: process.platform,
    arch: process.arch,
    system32: path.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32'),
    fileExists: existsSync,
    load: (name) => require(name),
  };
}

export type NativeLibrary = 'onnxruntime-node' | 'sharp';

/**
 * Null when the libraries load (ONNX Runtime and sharp for the inference process, sharp alone for
 * the media process); otherwise why not, in words.
 */
export function nativeRuntimeProblem(env: NativeEnv = processNativeEnv(), libraries: NativeLibrary[] = ['onnxruntime-node', 'sharp']): string | null {
  if (libraries.includes('onnxruntime-node')) {
    if (env.platform === 'darwin' && env.arch !== 'arm64') return INTEL_MAC_MESSAGE;
    // A missing runtime makes the load fail with "The specified module could not be found", which
    // names neither the DLL nor the fix: look for the DLLs first.
    if (env.platform === 'win32' && VC_RUNTIME_DLLS.some((dll) => !env.fileExists(path.win32.join(env.system32, dll)))) return VC_RUNTIME_MESSAGE;
  }
  for (const name of libraries) {
    try {
      env.load(name);
    } catch (err) {
      const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
      if (env.platform === 'win32' && /specified module could not be found/i.test(detail)) return VC_RUNTIME_MESSAGE;
      return `Heirloom's ${name === 'sharp' ? 'image' : 'model'} library (${name}) could not be loaded on this computer (${detail}). Reinstalling Heirloom may help.`;
    }
  }
  return null;
}
