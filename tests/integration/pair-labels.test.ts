/**
 * The Before/After labels are glyph outlines from the bundled font, so they are drawn by either
 * sharp build: native libvips (CLI, Windows, macOS) and the WebAssembly build the Linux app runs,
 * which has no fonts and drew no text at all from an SVG <text>.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/shared.ts';

function probe(preload: string[]): { build: string; white: number } {
  const r = spawnSync(process.execPath, [...preload, '--import', 'tsx', path.join(repoRoot, 'tests', 'helpers', 'label-probe.ts')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('"Before" is drawn in white with native sharp and with its WebAssembly build', () => {
  const native = probe([]);
  const wasm = probe(['-r', path.join(repoRoot, 'tests', 'helpers', 'sharp-wasm.cjs')]);
  assert.equal(wasm.build, 'wasm');
  // "Before" at 32 px: several hundred glyph pixels; none at all when text is not drawn.
  for (const r of [native, wasm]) assert.ok(r.white > 300, `${r.build}: ${r.white} white pixels`);
  assert.ok(Math.abs(native.white - wasm.white) < 0.25 * native.white, `native ${native.white}, wasm ${wasm.white}`);
});
