// Bundles the Electron main process, the preload and the worker processes (inference, media) into dist-electron/
// as CommonJS (`npm run build:electron`). esbuild comes with tsx.
// - main.cjs and worker.cjs keep every npm package external (electron-builder ships
//   node_modules; native modules such as sharp, onnxruntime-node and better-sqlite3 cannot be
//   bundled), and get `import.meta.url` from __filename.
// - preload.cjs bundles everything except electron: a sandboxed preload cannot require files.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--outdir <dir>`: somewhere else than dist-electron/ (the packaging test builds into a temporary folder).
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? path.resolve(process.argv[at + 1]) : path.join(root, 'dist-electron');
rmSync(outdir, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'info',
  absWorkingDir: root,
};

const importMetaShim = {
  banner: { js: "const __heirloom_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__heirloom_import_meta_url' },
};

await build({
  ...common,
  ...importMetaShim,
  entryPoints: { main: 'src-main/app/main.ts', worker: 'src-main/worker/entry.ts', 'media-worker': 'src-main/worker/media-entry.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  packages: 'external',
});

await build({
  ...common,
  entryPoints: { preload: 'src-main/preload/preload.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  external: ['electron'],
  platform: 'browser',
  // The sandboxed preload has `require` for electron only.
  mainFields: ['module', 'main'],
});
