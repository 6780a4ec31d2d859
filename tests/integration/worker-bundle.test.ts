/**
 * The inference worker's bundle (as scripts/build-electron.mjs makes it: the worker entry with
 * every npm package left external) must not load the library database, the download stack or
 * Electron: it runs photos and the model, nothing else.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { repoRoot } from '../helpers/shared.ts';

async function bundle(entry: string) {
  const r = await build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    write: false,
    metafile: true,
    outdir: path.join(repoRoot, 'dist-test-bundle'),
    logLevel: 'silent',
  });
  const inputs = Object.keys(r.metafile.inputs);
  const packages = new Set<string>();
  for (const out of Object.values(r.metafile.outputs)) {
    for (const i of out.imports) {
      if (!i.external || i.path.startsWith('node:')) continue;
      packages.add(i.path.startsWith('@') ? i.path.split('/').slice(0, 2).join('/') : i.path.split('/')[0]);
    }
  }
  return { inputs, packages };
}

test('the worker bundle holds no better-sqlite3, undici or electron, and no main-process code', async () => {
  const worker = await bundle('src-main/worker/entry.ts');
  for (const p of ['better-sqlite3', 'undici', 'electron']) assert.equal(worker.packages.has(p), false, `${p} in the worker bundle`);
  // What it does need, so the check above is not vacuous.
  for (const p of ['sharp', 'onnxruntime-node', 'zod']) assert.equal(worker.packages.has(p), true, `${p} missing from ${[...worker.packages].join(', ')}`);
  const mainCode = worker.inputs.filter((f) => /^src-main\/(app|ipc|services|jobs|library|export|models|worker-client)\//.test(f));
  assert.deepEqual(mainCode, []);

  // The media process (thumbnails, previews, headers) loads sharp but not ONNX Runtime.
  const media = await bundle('src-main/worker/media-entry.ts');
  for (const p of ['better-sqlite3', 'undici', 'electron', 'onnxruntime-node', 'onnx-proto']) assert.equal(media.packages.has(p), false, `${p} in the media worker bundle`);
  assert.equal(media.packages.has('sharp'), true);

  // And the main bundle does load them (the same scan sees them when they are there).
  const main = await bundle('src-main/app/main.ts');
  assert.equal(main.packages.has('better-sqlite3'), true);
  assert.equal(main.packages.has('electron'), true);
  // No image library in Electron's main process (thumbnails, previews and import headers are
  // made by a worker process).
  assert.equal(main.packages.has('sharp'), false, 'sharp in the main bundle');
});
