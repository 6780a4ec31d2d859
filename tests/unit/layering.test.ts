/**
 * The architecture's rules, checked on the import graph of the real tree (ARCHITECTURE.md draws
 * it): which process a folder runs in decides what it may import. A rule broken by a new import
 * fails here with the file and the import named.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/shared.ts';

interface Edge {
  from: string;
  /** Repository-relative target of a relative import, or the package / `node:` name. */
  to: string;
  relative: boolean;
}

const SOURCE = /\.(ts|mts|mjs|svelte)$/;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(rel));
    else if (SOURCE.test(e.name)) out.push(rel);
  }
  return out;
}

// `import x from '...'`, `import '...'`, `export ... from '...'`, `import('...')`, `require('...')`.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;

function edgesOf(file: string): Edge[] {
  const text = readFileSync(path.join(repoRoot, file), 'utf8')
    // Comments may quote imports; they are not imports.
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: Edge[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[2];
    if (spec.startsWith('.')) out.push({ from: file, to: path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)), relative: true });
    else out.push({ from: file, to: spec, relative: false });
  }
  return out;
}

const ALL = ['src-shared', 'src-main', 'src-renderer', 'scripts', 'bench', 'tests'].flatMap(files);
const EDGES = ALL.flatMap(edgesOf);

const under = (p: string, ...dirs: string[]) => dirs.some((d) => p === d || p.startsWith(`${d}/`));

/** Folders whose code runs in the main process (or the CLI front end), never in the worker. */
const MAIN = ['app', 'preload', 'ipc', 'services', 'jobs', 'library', 'export', 'models', 'worker-client'].map((d) => `src-main/${d}`);
/** Plain Node code used by both processes. */
const BOTH = ['src-main/util', 'src-main/checkpoint'];

function violations(rule: (e: Edge) => boolean): string[] {
  return EDGES.filter(rule).map((e) => `${e.from} imports ${e.to}`);
}

test('the rules see the whole tree (the import scan itself works)', () => {
  assert.ok(ALL.length > 150, `${ALL.length} files`);
  assert.ok(EDGES.some((e) => e.from === 'src-main/worker/serve.ts' && e.to === 'src-shared/worker-protocol.ts'));
  assert.ok(EDGES.some((e) => e.from.startsWith('src-renderer/') && e.to === 'src-renderer/lib/api.ts'));
});

test('src-shared imports nothing outside itself but zod', () => {
  assert.deepEqual(
    violations((e) => under(e.from, 'src-shared') && (e.relative ? !under(e.to, 'src-shared') : e.to !== 'zod')),
    [],
  );
});

test('the main process never imports what the inference worker runs', () => {
  assert.deepEqual(violations((e) => e.relative && under(e.from, ...MAIN) && under(e.to, 'src-main/worker')), []);
  // sharp's libvips must not share a process with Electron's GLib: image work runs in a worker.
  assert.deepEqual(violations((e) => !e.relative && under(e.from, ...MAIN) && e.to === 'sharp'), []);
});

test('the worker imports only its own side, the shared Node code and src-shared', () => {
  assert.deepEqual(
    violations((e) => e.relative && under(e.from, 'src-main/worker') && !under(e.to, 'src-main/worker', 'src-shared', ...BOTH)),
    [],
  );
  // The worker bundle must not load the database, the download stack or Electron.
  assert.deepEqual(violations((e) => !e.relative && under(e.from, 'src-main/worker') && /^(better-sqlite3|undici|electron)$/.test(e.to)), []);
});

test('shared Node code depends on neither process', () => {
  assert.deepEqual(violations((e) => e.relative && under(e.from, ...BOTH) && !under(e.to, ...BOTH, 'src-shared')), []);
  assert.deepEqual(violations((e) => !e.relative && under(e.from, ...BOTH) && /^(better-sqlite3|undici|electron|sharp)$/.test(e.to)), []);
});

test('only the worker side, the CLI, bench and tests import the pipeline and the engine', () => {
  assert.deepEqual(
    violations(
      (e) =>
        e.relative &&
        under(e.to, 'src-main/worker/pipeline', 'src-main/worker/inference') &&
        !under(e.from, 'src-main/worker', 'src-main/cli', 'bench', 'tests'),
    ),
    [],
  );
});

test('the renderer reaches the main process only through src-renderer/lib/api.ts', () => {
  assert.deepEqual(
    violations((e) => under(e.from, 'src-renderer') && e.relative && !under(e.to, 'src-renderer', 'src-shared')),
    [],
    'the renderer imports only its own files and src-shared',
  );
  assert.deepEqual(violations((e) => under(e.from, 'src-renderer') && !e.relative && (e.to.startsWith('node:') || e.to === 'electron')), []);
  const bridge = 'src-renderer/lib/api.ts';
  const transportFiles = ['src-renderer/lib/transport.ts', 'src-shared/ws-protocol.ts'];
  assert.deepEqual(
    violations((e) => under(e.from, 'src-renderer') && e.from !== bridge && e.from !== transportFiles[0] && transportFiles.includes(e.to)),
    [],
    'only the bridge speaks the test transport',
  );
  const touching = files('src-renderer').filter(
    (f) => f !== bridge && /window\.heirloom|new WebSocket\(/.test(readFileSync(path.join(repoRoot, f), 'utf8')),
  );
  assert.deepEqual(touching, [], 'only the bridge touches window.heirloom or a socket');
});

test('no import cycles in production code', () => {
  const graph = new Map<string, string[]>();
  for (const e of EDGES) {
    if (!e.relative || !under(e.from, 'src-main', 'src-shared', 'src-renderer')) continue;
    graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
  }
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].join(' -> '));
      return;
    }
    state.set(f, 'open');
    for (const t of graph.get(f) ?? []) visit(t, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('no source file over 400 lines', () => {
  const long = ALL.filter((f) => under(f, 'src-main', 'src-shared', 'src-renderer', 'scripts', 'bench'))
    .map((f) => [f, readFileSync(path.join(repoRoot, f), 'utf8').split('\n').length] as const)
    .filter(([, n]) => n > 400)
    .map(([f, n]) => `${f}: ${n} lines`);
  assert.deepEqual(long, []);
});
