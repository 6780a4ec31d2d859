// ipc/register.ts bundled as in the app and run with a recording stand-in for ipcMain: every
// contract channel gets a handler that checks the sender frame and answers with a reply envelope.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import vm from 'node:vm';
import { build } from 'esbuild';
import { CHANNELS } from '../../src-shared/channels.ts';
import { repoRoot } from '../helpers/shared.ts';

type Handler = (event: unknown, args: unknown) => Promise<unknown>;

async function loadRegister() {
  const out = await build({
    entryPoints: [path.join(repoRoot, 'src-main', 'ipc', 'register.ts')],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    packages: 'external',
    external: ['electron'],
  });
  const handlers = new Map<string, Handler>();
  const onHandlers = new Map<string, (event: { senderFrame: unknown; returnValue?: unknown }, args: unknown) => void>();
  const ipcMain = {
    handle: (c: string, h: Handler) => handlers.set(c, h),
    on: (c: string, h: (e: { senderFrame: unknown; returnValue?: unknown }, a: unknown) => void) => onHandlers.set(c, h),
    removeHandler: (c: string) => handlers.delete(c),
    removeAllListeners: (c: string) => onHandlers.delete(c),
  };
  const nodeRequire = createRequire(path.join(repoRoot, 'package.json'));
  const module = { exports: {} as Record<string, unknown> };
  vm.runInNewContext(out.outputFiles[0].text, {
    require: (name: string) => (name === 'electron' ? { ipcMain } : nodeRequire(name)),
    module,
    exports: module.exports,
    URL,
    console,
    // The host's Error, so errors thrown by the stand-in services are `instanceof Error` inside.
    Error,
  });
  return { registerIpc: module.exports.registerIpc as (...a: unknown[]) => () => void, handlers, onHandlers };
}

function fakeServices() {
  const calls: [string, unknown][] = [];
  const dropped: string[][] = [];
  let emit: ((name: string, payload: unknown) => void) | null = null;
  return {
    calls,
    dropped,
    emit: (n: string, p: unknown) => emit?.(n, p),
    services: {
      handle: async (channel: string, args: unknown) => {
        calls.push([channel, args]);
        if (channel === 'library:get') throw new Error('no photo 5');
        return { echoed: args };
      },
      // The real services refuse what does not look like a drop; this stand-in refuses '/'.
      allowDropped: (paths: string[]) => {
        dropped.push(paths);
        return paths.filter((p) => p === '/');
      },
      onAny: (l: (name: string, payload: unknown) => void) => {
        emit = l;
        return () => (emit = null);
      },
    },
  };
}

/** Values made inside the VM have the VM's prototypes: compare their JSON. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const ours = { url: 'heirloom://app/index.html', parent: null };
const isApp = (u: string) => u.startsWith('heirloom://app/');

test('one handler per contract channel; calls from our top frame reach the services', async () => {
  const { registerIpc, handlers } = await loadRegister();
  const f = fakeServices();
  const sent: [string, unknown][] = [];
  const wc = { isDestroyed: () => false, send: (n: string, p: unknown) => sent.push([n, p]) };
  const unregister = registerIpc(f.services, isApp, () => [wc]);
  assert.deepEqual([...handlers.keys()].sort(), [...CHANNELS].sort());
  assert.deepEqual(plain(await handlers.get('library:list')!({ senderFrame: ours }, {})), { ok: true, result: { echoed: {} } });
  const failed = (await handlers.get('library:get')!({ senderFrame: ours }, { photoId: 5 })) as { ok: boolean; error: { code: string; message: string } };
  assert.deepEqual(plain(failed), { ok: false, error: { code: 'failed', message: 'no photo 5' } });
  f.emit('jobs:progress', { jobId: 1 });
  assert.deepEqual(plain(sent), [['jobs:progress', { jobId: 1 }]]);
  unregister();
  assert.equal(handlers.size, 0);
});

test('calls from an iframe, another origin or a vanished frame are refused before the services', async () => {
  const { registerIpc, handlers, onHandlers } = await loadRegister();
  const f = fakeServices();
  registerIpc(f.services, isApp, () => []);
  for (const senderFrame of [{ url: 'heirloom://app/index.html', parent: {} }, { url: 'https://evil.example/', parent: null }, null]) {
    const r = (await handlers.get('library:list')!({ senderFrame }, {})) as { ok: boolean; error: { code: string } };
    assert.deepEqual([r.ok, r.error.code], [false, 'not-allowed']);
  }
  assert.deepEqual(f.calls, []);

  const drop = onHandlers.get('heirloom-internal:dropped-paths')!;
  const ev = { senderFrame: ours, returnValue: undefined as unknown };
  drop(ev, ['/photos/a.jpg']);
  assert.equal(ev.returnValue, true);
  for (const [frame, args] of [
    [{ url: 'https://evil.example/', parent: null }, ['/etc']],
    [ours, '/etc'],
    [ours, [42]],
    [ours, ['']],
  ] as const) {
    const e = { senderFrame: frame, returnValue: undefined as unknown };
    drop(e, args);
    assert.equal(e.returnValue, false, JSON.stringify(args));
  }
  assert.deepEqual(plain(f.dropped), [['/photos/a.jpg']]);
  // Well-formed but refused by the services (a forged drop of the whole disk): the preload hears false.
  const forged = { senderFrame: ours, returnValue: undefined as unknown };
  drop(forged, ['/']);
  assert.equal(forged.returnValue, false);
});
