// Starts scripts/dev-server.ts as the renderer's e2e tests do, and talks to it like the renderer.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { IpcErrorPayload } from '../../src-shared/ipc.ts';
import type { WsServerMessage } from '../../src-shared/ws-protocol.ts';
import { repoRoot, sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
let server: ChildProcess | undefined;
let base = '';
let tmp = '';

before(async () => {
  if (photos.skip) return;
  tmp = mkdtempSync(path.join(tmpdir(), 'heirloom-dev-server-'));
  const site = path.join(tmp, 'site');
  mkdirSync(site);
  writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>Heirloom test</title>');
  mkdirSync(path.join(tmp, 'out'));
  server = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/dev-server.ts', '--port', '0', '--data', path.join(tmp, 'data'), '--pick', photos.path, '--static', site],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /heirloom dev server: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    server!.once('exit', (code) => reject(new Error(`dev server exited (${code}): ${out}`)));
    setTimeout(() => reject(new Error('dev server did not start in 30 s')), 30_000).unref();
  });
});

after(() => {
  server?.kill('SIGTERM');
});

interface Client {
  call(channel: string, args?: unknown): Promise<{ result?: unknown; error?: IpcErrorPayload }>;
  events: { event: string; payload: unknown }[];
  close(): void;
}

function connect(origin = base.replace(/\/$/, '')): Promise<Client> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}ws`, { origin });
  const pending = new Map<number, (m: { result?: unknown; error?: IpcErrorPayload }) => void>();
  const events: { event: string; payload: unknown }[] = [];
  let id = 0;
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as WsServerMessage;
    if ('event' in m) events.push(m);
    else pending.get(m.id)?.(m);
  });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        events,
        close: () => ws.close(),
        call: (channel, args = {}) =>
          new Promise((res) => {
            const i = ++id;
            pending.set(i, res);
            ws.send(JSON.stringify({ id: i, channel, args }));
          }),
      }),
    );
  });
}

test('serves the renderer and refuses paths outside it', { skip: photos.skip }, async () => {
  const page = await fetch(base);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Heirloom test/);
  assert.equal((await fetch(`${base}..%2f..%2fetc/passwd`)).status, 403);
  assert.equal((await fetch(`${base}nope.js`)).status, 404);
});

test('a page from another origin cannot open the socket or drive the picker', { skip: photos.skip }, async () => {
  await assert.rejects(connect('http://evil.example'), /403/);
  const r = await fetch(`${base}__test/picker`, { method: 'POST', headers: { origin: 'http://evil.example' }, body: '{"imports":["/"]}' });
  assert.equal(r.status, 403);
});

/** A raw request with exactly these headers (fetch would not let a test set Host). */
function status(pathname: string, headers: Record<string, string>, method = 'GET'): Promise<number> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: pathname, method, headers, setHost: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('every request is checked for Host and Origin: DNS rebinding and other sites get 403', { skip: photos.skip }, async () => {
  const host = new URL(base).host;
  const ours = base.replace(/\/$/, '');
  // The page itself, a same-origin load, a typed-in URL, a tool without browser headers: served.
  assert.equal(await status('/', { host }), 200);
  assert.equal(await status('/', { host, 'sec-fetch-site': 'none' }), 200);
  assert.equal(await status('/', { host: `localhost:${new URL(base).port}`, origin: `http://localhost:${new URL(base).port}` }), 200);
  assert.equal(await status('/media/thumb/99999', { host, 'sec-fetch-site': 'same-origin' }), 404, 'reaches the media handler');
  // A page of another site: through DNS rebinding (its own Host), or embedding our media (cross-site, no Origin).
  assert.equal(await status('/', { host: 'evil.example:80' }), 403);
  assert.equal(await status('/media/thumb/1', { host: `rebind.evil.example:${new URL(base).port}` }), 403);
  assert.equal(await status('/media/thumb/1', { host, 'sec-fetch-site': 'cross-site' }), 403);
  assert.equal(await status('/media/thumb/1', { host, origin: 'http://evil.example' }), 403);
  assert.equal(await status('/', { host, origin: 'null' }), 403);
  assert.ok([400, 403].includes(await status('/', {})), 'no Host at all (Node answers 400 itself)');
  // Control requests need our Origin even from this machine.
  assert.equal(await status('/__test/picker', { host }, 'POST'), 403);
  assert.equal(await status('/__test/picker', { host: 'evil.example', origin: ours }, 'POST'), 403);
});

test('import, list, detect and media over the socket, with pushed events', { skip: photos.skip }, async () => {
  const c = await connect();
  try {
    const imported = await c.call('library:importDialog', { kind: 'folder' });
    const result = imported.result as { added: number; photoIds: number[] };
    assert.equal(result.added, readdirSync(photos.path).length);
    const list = (await c.call('library:list')).result as { id: number; name: string; status: string }[];
    const office = list.find((p) => p.name === 'group-office-4.jpg');
    assert.ok(office);
    assert.equal(office.status, 'new');

    const detected = (await c.call('photos:detect', { photoIds: [office.id] })).result as { faces: unknown[]; status: string }[];
    assert.equal(detected[0].status, 'detected');
    assert.ok(detected[0].faces.length >= 4, `${detected[0].faces.length} faces`);
    assert.ok(c.events.some((e) => e.event === 'library:changed' && (e.payload as { photoIds: number[] }).photoIds.includes(office.id)));

    const thumb = await fetch(`${base}media/thumb/${office.id}?v=1`);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
    assert.ok((await thumb.arrayBuffer()).byteLength > 1000);
    assert.equal((await fetch(`${base}media/thumb/99999`)).status, 404);
    assert.equal((await fetch(`${base}media/thumb/abc`)).status, 400);

    const bad = await c.call('library:get', { photoId: -1 });
    assert.equal(bad.error?.code, 'invalid-arguments');
    const refused = await c.call('library:importDropped', { paths: ['/etc/hostname'] });
    assert.equal(refused.error?.code, 'not-allowed');
    const unknown = await c.call('shell:exec', { cmd: 'ls' });
    assert.match(unknown.error?.message ?? '', /unknown channel/);
    assert.equal((await c.call('library:remove', { photoIds: [office.id] })).result, null, 'void results arrive as null');
  } finally {
    c.close();
  }
});

test('the picker answers can be changed by the test at run time', { skip: photos.skip }, async () => {
  const out = path.join(tmp, 'out');
  const r = await fetch(`${base}__test/picker`, { method: 'POST', headers: { origin: base.replace(/\/$/, '') }, body: JSON.stringify({ outputFolder: out, imports: null }) });
  assert.equal(r.status, 200);
  const c = await connect();
  try {
    assert.equal(((await c.call('settings:pickOutputFolder')).result as { outputFolder: string }).outputFolder, out);
    assert.equal((await c.call('library:importDialog', { kind: 'files' })).result, null, 'cancelled dialog');
  } finally {
    c.close();
  }
});
