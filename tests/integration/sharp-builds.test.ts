/**
 * What the worker does with sharp works the same with both of its builds: native libvips (CLI,
 * Windows, macOS) and the WebAssembly build the Linux app runs (tests/helpers/sharp-wasm.cjs
 * hides the native one). Each case runs in a child process per build.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { useSharpWasmInElectronOnLinux } from '../../src-main/worker/sharp-build.ts';
import { repoRoot, sharedPath } from '../helpers/shared.ts';

const WASM = ['-r', path.join(repoRoot, 'tests', 'helpers', 'sharp-wasm.cjs')];
const photos = sharedPath('fixtures', 'photos');

function probe<T>(preload: string[], script: string, args: string[] = []): T {
  const r = spawnSync(process.execPath, [...preload, '--import', 'tsx', path.join(repoRoot, 'tests', 'helpers', script), ...args], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

// The labels are glyph outlines from the bundled font: the WebAssembly build has no fonts and drew
// no text at all from an SVG <text>.
test('"Before" is drawn in white with native sharp and with its WebAssembly build', () => {
  type Label = { build: string; white: number };
  const native = probe<Label>([], 'label-probe.ts');
  const wasm = probe<Label>(WASM, 'label-probe.ts');
  assert.equal(wasm.build, 'wasm');
  // "Before" at 32 px: several hundred glyph pixels; none at all when text is not drawn.
  for (const r of [native, wasm]) assert.ok(r.white > 300, `${r.build}: ${r.white} white pixels`);
  assert.ok(Math.abs(native.white - wasm.white) < 0.25 * native.white, `native ${native.white}, wasm ${wasm.white}`);
});

// The WebAssembly build's output Buffers are views on its heap, freed when the Buffer is
// collected: pixels kept as a view of `buf.buffer` were overwritten by the next images (the
// packaged worker then found no faces in a photo after making a thumbnail).
test("decoded pixels stay the photo's own after sharp works on other images and the GC runs, with both builds", { skip: photos.skip }, () => {
  const args = [path.join(photos.path, 'group-office-4.jpg'), path.join(photos.path, 'scan-family-3.png')];
  for (const preload of [[], WASM]) {
    const r = probe<{ build: string; same: boolean }>(['--expose-gc', ...preload], 'wasm-heap-probe.ts', args);
    assert.equal(r.same, true, `${r.build}: the decoded photo's pixels changed`);
  }
});

// Which build a worker loads: the WebAssembly one in Electron on Linux (src-main/worker/sharp-build.ts).
function buildProbe(as: 'electron' | 'node'): { hidden: boolean; build: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'tests', 'helpers', 'sharp-build-probe.ts'), as], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test("an Electron process on Linux loads sharp's WebAssembly build; plain Node keeps the native one", { skip: process.platform === 'linux' ? false : 'the native build hidden is a Linux one' }, () => {
  assert.deepEqual(buildProbe('electron'), { hidden: true, build: 'wasm' });
  assert.deepEqual(buildProbe('node'), { hidden: false, build: 'native' });
});

test('Electron on Windows and macOS keeps native sharp', () => {
  assert.equal(useSharpWasmInElectronOnLinux({ platform: 'win32', electron: '45.5.0' }), false);
  assert.equal(useSharpWasmInElectronOnLinux({ platform: 'darwin', electron: '45.5.0' }), false);
});
