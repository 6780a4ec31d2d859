/**
 * Which sharp build a worker process loads. In an Electron process on Linux it must be the
 * WebAssembly build (@img/sharp-wasm32): native libvips carries its own GLib, which clashes with
 * the system GLib every Electron process links (GLib-CRITICAL floods, crashes on the first decode
 * on some distributions; ARCHITECTURE.md "Processes and native libraries"). The Linux package
 * ships only that build; this makes `electron .` from a checkout, where npm installed the native
 * one too, load the same. Plain Node (the CLI, tests) keeps native sharp.
 */
import Module from 'node:module';

const NATIVE = /^@img\/sharp-(linux|linuxmusl|libvips)/;

/** Call before anything loads sharp. Returns true when the native build was hidden. */
export function useSharpWasmInElectronOnLinux(env: { platform: NodeJS.Platform; electron: string | undefined } = { platform: process.platform, electron: process.versions.electron }): boolean {
  if (env.platform !== 'linux' || env.electron === undefined) return false;
  const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolve = loader._resolveFilename;
  // sharp falls back to @img/sharp-wasm32 when its native package cannot be found.
  loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    if (NATIVE.test(request)) throw Object.assign(new Error(`Cannot find module '${request}' (Heirloom uses sharp's WebAssembly build in Electron on Linux)`), { code: 'MODULE_NOT_FOUND' });
    return resolve.call(this, request, ...rest);
  };
  return true;
}
