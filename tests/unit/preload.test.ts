// The bundled preload (as Electron loads it: one CommonJS file requiring only `electron`), run in
// a VM with a recording stand-in for Electron's preload modules, since Electron cannot run here.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import vm from 'node:vm';
import { build } from 'esbuild';
import type { HeirloomApi } from '../../src-shared/ipc.ts';
import { repoRoot } from '../helpers/shared.ts';

async function loadPreload() {
  const out = await build({
    entryPoints: [path.join(repoRoot, 'src-main', 'preload', 'preload.ts')],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'browser',
    external: ['electron'],
  });
  const code = out.outputFiles[0].text;
  const calls: { kind: string; channel: string; args: unknown }[] = [];
  const listeners = new Map<string, ((e: unknown, payload: unknown) => void)[]>();
  const replies = new Map<string, unknown>();
  let exposed: { key: string; api: HeirloomApi } | null = null;
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: HeirloomApi) => (exposed = { key, api }) },
    ipcRenderer: {
      invoke: async (channel: string, args: unknown) => {
        calls.push({ kind: 'invoke', channel, args });
        return replies.get(channel) ?? { ok: true, result: null };
      },
      sendSync: (channel: string, args: unknown) => {
        calls.push({ kind: 'sendSync', channel, args });
        return true;
      },
      on: (channel: string, l: (e: unknown, p: unknown) => void) => listeners.set(channel, [...(listeners.get(channel) ?? []), l]),
      removeListener: (channel: string, l: (e: unknown, p: unknown) => void) => listeners.set(channel, (listeners.get(channel) ?? []).filter((x) => x !== l)),
    },
    webUtils: { getPathForFile: (f: { fakePath?: string }) => f.fakePath ?? '' },
  };
  const required: string[] = [];
  const requireFn = (name: string) => {
    required.push(name);
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
    return electron;
  };
  const module = { exports: {} };
  vm.runInNewContext(code, { require: requireFn, module, exports: module.exports, URL, Array });
  assert.ok(exposed);
  return { exposed: exposed as { key: string; api: HeirloomApi }, calls, listeners, replies, required };
}

test('the preload exposes window.heirloom and requires nothing but electron', async () => {
  const { exposed, required } = await loadPreload();
  assert.equal(exposed.key, 'heirloom');
  assert.deepEqual(Object.keys(exposed.api).sort(), ['invoke', 'mediaUrl', 'on', 'pathsForDroppedFiles']);
  assert.deepEqual([...new Set(required)], ['electron']);
});

test('invoke passes contract channels through, unwraps replies, and refuses other channels', async () => {
  const { exposed, calls, replies } = await loadPreload();
  const api = exposed.api as unknown as { invoke(c: string, a: unknown): Promise<unknown> };
  replies.set('library:list', { ok: true, result: [{ id: 1 }] });
  assert.deepEqual(await api.invoke('library:list', {}), [{ id: 1 }]);
  replies.set('library:get', { ok: false, error: { code: 'not-found', message: 'no photo 9' } });
  await assert.rejects(api.invoke('library:get', { photoId: 9 }), /^Error: no photo 9$/);
  for (const bad of ['fs:readFile', '__proto__', 'jobs:progress', 'heirloom-internal:dropped-paths']) {
    await assert.rejects(api.invoke(bad, {}), /unknown channel/);
  }
  assert.deepEqual(calls.map((c) => c.channel), ['library:list', 'library:get'], 'refused calls never reach ipcRenderer');
});

test('on subscribes to contract events only and returns a working unsubscribe', async () => {
  const { exposed, listeners } = await loadPreload();
  const got: unknown[] = [];
  const off = exposed.api.on('jobs:progress', (p) => got.push(p));
  listeners.get('jobs:progress')!.forEach((l) => l({ sender: 'x' }, { jobId: 1 }));
  assert.deepEqual(got, [{ jobId: 1 }], 'the listener gets the payload, never the IPC event');
  off();
  assert.equal(listeners.get('jobs:progress')!.length, 0);
  const api = exposed.api as unknown as { on(e: string, l: () => void): () => void };
  assert.throws(() => api.on('library:list', () => {}), /unknown event/);
  assert.throws(() => api.on('ELECTRON_BROWSER_WINDOW_ALERT', () => {}), /unknown event/);
});

test('dropped files: real paths are registered with the main process before they are returned', async () => {
  const { exposed, calls } = await loadPreload();
  const files = [{ fakePath: '/photos/a.jpg' }, {}, { fakePath: '/photos/b.tif' }] as unknown as File[];
  assert.deepEqual(exposed.api.pathsForDroppedFiles(files), ['/photos/a.jpg', '/photos/b.tif']);
  assert.deepEqual(calls, [{ kind: 'sendSync', channel: 'heirloom-internal:dropped-paths', args: ['/photos/a.jpg', '/photos/b.tif'] }]);
  assert.deepEqual(exposed.api.pathsForDroppedFiles([{}] as unknown as File[]), [], 'files without a path (made in the page) give nothing');
  assert.equal(calls.length, 1);
  assert.equal(exposed.api.mediaUrl({ kind: 'face', faceId: 3, variant: 'mean' }, 2), 'heirloom-media://media/face/3/mean?v=2');
});
