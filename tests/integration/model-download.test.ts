import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { installModel, importModel, listModels, resolveModel, installedPath } from '../../src-main/models/manager.ts';
import { findModelSpec } from '../../src-main/models/manifest.ts';
import { sha256File } from '../../src-main/util/file-hash.ts';
import { writeSafetensors } from '../../src-main/checkpoint/safetensors-writer.ts';
import type { DownloadProgress } from '../../src-main/models/download.ts';
import { UserError } from '../../src-main/util/errors.ts';
import { projectFixtures } from '../helpers/shared.ts';
import { inProcessArchCheck, tinyArchCheck } from '../helpers/arch-check.ts';
import { openSafetensors } from '../../src-main/checkpoint/safetensors.ts';

/**
 * The model manager against a local server that behaves like huggingface.co: the resolve URL
 * answers 302 to a "CDN" path with X-Linked-Etag (sha256), X-Linked-Size and X-Repo-Commit; the
 * CDN honours Range. Knobs make it drop connections, ignore Range, lie about size or corrupt bytes.
 */

const REPO = 'ohayonguy/PMRF_blind_face_image_restoration';
const RESOLVE = `/${REPO}/resolve/main/model.safetensors`;
const COMMIT = 'a'.repeat(40);
const spec = findModelSpec('pmrf-blind-face-512')!;

let body: Buffer;
let sha: string;
let root: string;
let server: http.Server;
let base: string;

interface Served {
  method: string;
  url: string;
  range: string | undefined;
  status: number;
  bytesSent: number;
  auth: string | undefined;
}
let log: Served[] = [];
let knobs: {
  dropAfter?: number; // bytes of the body to send before destroying the socket
  stallAfter?: number; // bytes to send, then hang without ending
  ignoreRange?: boolean;
  announcedSize?: number;
  corruptAt?: number;
  notFound?: boolean;
  direct?: boolean; // serve the bytes from the resolve URL itself (200 + ETag), like some mirrors
  cdnHost?: string; // redirect to this host name (another origin) instead of a relative path
} = {};

function serveBytes(req: http.IncomingMessage, res: http.ServerResponse, entry: Served, extra: Record<string, string> = {}): void {
  let data = body;
  if (knobs.corruptAt !== undefined) {
    data = Buffer.from(body);
    data[knobs.corruptAt] ^= 0xff;
  }
  let start = 0;
  const m = req.headers.range?.match(/^bytes=(\d+)-$/);
  if (m && !knobs.ignoreRange) start = Number(m[1]);
  const chunk = data.subarray(start);
  const headers: Record<string, string> = { 'content-length': String(chunk.length), 'accept-ranges': 'bytes', ...extra };
  if (start > 0) headers['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
  entry.status = start > 0 ? 206 : 200;
  res.writeHead(entry.status, headers);
  if (req.method === 'HEAD') return void res.end();
  const limit = knobs.dropAfter ?? knobs.stallAfter;
  if (limit !== undefined) {
    const part = chunk.subarray(0, limit);
    entry.bytesSent = part.length;
    res.write(part, () => {
      if (knobs.dropAfter !== undefined) setTimeout(() => res.socket?.destroy(), 20);
    });
    return; // stall: never end
  }
  entry.bytesSent = chunk.length;
  res.end(chunk);
}

before(async () => {
  body = await readFile(path.join(projectFixtures, 'pmrf', 'tiny', 'checkpoint.safetensors'));
  sha = createHash('sha256').update(body).digest('hex');
  root = await mkdtemp(path.join(tmpdir(), 'heirloom-dl-'));
  server = http.createServer((req, res) => {
    const entry: Served = { method: req.method ?? '', url: req.url ?? '', range: req.headers.range, status: 0, bytesSent: 0, auth: req.headers.authorization };
    log.push(entry);
    const url = req.url ?? '';
    const resolvePath = url === RESOLVE || url === `/mirror${RESOLVE}`;
    if (knobs.notFound && resolvePath) {
      entry.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    if (resolvePath && knobs.direct) {
      serveBytes(req, res, entry, { etag: `"${sha}"`, 'x-repo-commit': COMMIT });
      return;
    }
    if (resolvePath) {
      entry.status = 302;
      res
        .writeHead(302, {
          location: `${knobs.cdnHost ? `http://${knobs.cdnHost}:${(server.address() as AddressInfo).port}` : ''}/cdn/blob/${sha}?signature=${Date.now()}`,
          'x-linked-etag': `"${sha}"`,
          'x-linked-size': String(knobs.announcedSize ?? body.length),
          'x-repo-commit': COMMIT,
          etag: '"0123456789abcdef0123456789abcdef01234567"', // the LFS pointer's git sha1
          'content-length': '0',
        })
        .end();
      return;
    }
    if (url.startsWith('/cdn/blob/')) return serveBytes(req, res, entry);
    entry.status = 404;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(root, { recursive: true, force: true });
});

let caseNo = 0;
let env: Record<string, string>;
beforeEach(async () => {
  log = [];
  knobs = {};
  const dir = path.join(root, `case-${++caseNo}`);
  await mkdir(dir, { recursive: true });
  env = { HEIRLOOM_HOME: path.join(dir, 'heirloom'), HF_HOME: path.join(dir, 'hf'), HF_ENDPOINT: base };
});

const gets = () => log.filter((e) => e.method === 'GET');

test('downloads via the CDN redirect, verifies and installs, with progress', async () => {
  const events: DownloadProgress[] = [];
  const r = await installModel({ checkArchitecture: tinyArchCheck, env, onProgress: (p) => events.push(p) });
  assert.equal(r.path, installedPath(spec, env));
  assert.equal(r.source, 'heirloom');
  assert.equal(r.changed, true);
  assert.equal(r.sha256, sha);
  assert.equal(r.size, body.length);
  assert.equal(r.bytesTransferred, body.length);
  assert.ok((await readFile(r.path)).equals(body));
  assert.ok(!existsSync(`${r.path}.part`) && !existsSync(`${r.path}.part.json`));
  // HEAD on the Hub URL, then GET on the CDN location it redirected to.
  assert.equal(log[0].method, 'HEAD');
  assert.equal(log[0].url, RESOLVE);
  assert.equal(gets().length, 1);
  assert.match(gets()[0].url, /^\/cdn\/blob\//);
  assert.ok(events.length >= 2);
  for (let i = 1; i < events.length; i++) assert.ok(events[i].bytes >= events[i - 1].bytes);
  assert.deepEqual([events.at(-1)!.bytes, events.at(-1)!.total], [body.length, body.length]);
  // The hash is memoised: resolveModel + sha256File agree without rehashing surprises.
  assert.equal(await resolveModel(undefined, { env }), r.path);
  assert.equal(await sha256File(r.path, { memoFile: path.join(env.HEIRLOOM_HOME, 'models', 'hashes.json') }), sha);
  // A second install reuses the file: no request at all.
  log = [];
  const again = await installModel({ checkArchitecture: tinyArchCheck, env });
  assert.equal(again.changed, false);
  assert.equal(log.length, 0);
});

test('an interrupted download resumes with Range and transfers only the remainder', async () => {
  knobs.dropAfter = 1_500_000;
  await assert.rejects(installModel({ checkArchitecture: tinyArchCheck, env }), (err: unknown) => err instanceof UserError && /interrupted/.test(err.message) && /again to resume/.test(err.message));
  const part = `${installedPath(spec, env)}.part`;
  const have = (await stat(part)).size;
  assert.ok(have > 0 && have <= 1_500_000, `part holds ${have} bytes`);
  assert.ok(!existsSync(installedPath(spec, env)), 'nothing installed yet');

  knobs = {};
  log = [];
  const r = await installModel({ checkArchitecture: tinyArchCheck, env });
  assert.equal(gets().length, 1);
  assert.equal(gets()[0].range, `bytes=${have}-`);
  assert.equal(gets()[0].status, 206);
  assert.equal(gets()[0].bytesSent, body.length - have);
  assert.equal(r.bytesTransferred, body.length - have);
  assert.ok((await readFile(r.path)).equals(body));
  assert.equal(r.sha256, sha);
});

test('a server that ignores Range restarts from zero and still yields the right file', async () => {
  knobs.dropAfter = 1_000_000;
  await assert.rejects(installModel({ checkArchitecture: tinyArchCheck, env }), /interrupted/);
  knobs = { ignoreRange: true };
  log = [];
  const r = await installModel({ checkArchitecture: tinyArchCheck, env });
  assert.match(gets()[0].range ?? '', /^bytes=\d+-$/);
  assert.equal(gets()[0].status, 200);
  assert.equal(r.bytesTransferred, body.length);
  assert.ok((await readFile(r.path)).equals(body));
});

test('cancel with an AbortSignal keeps the part for a later resume', async () => {
  knobs.stallAfter = 800_000;
  const ac = new AbortController();
  const p = installModel({ checkArchitecture: tinyArchCheck, env, signal: ac.signal, onProgress: (e) => e.bytes > 0 && ac.abort() });
  await assert.rejects(p, (err: unknown) => (err as Error).name === 'AbortError');
  const part = `${installedPath(spec, env)}.part`;
  assert.ok(existsSync(part));
  knobs = {};
  const r = await installModel({ checkArchitecture: tinyArchCheck, env });
  assert.ok((await readFile(r.path)).equals(body));
});

test('a size different from the announced one is rejected and nothing is left installed', async () => {
  knobs.announcedSize = body.length - 1000;
  await assert.rejects(installModel({ checkArchitecture: tinyArchCheck, env }), /corrupt \(size \d+ bytes, expected \d+/);
  assert.ok(!existsSync(installedPath(spec, env)));
  assert.ok(!existsSync(`${installedPath(spec, env)}.part`));
});

test('corrupted bytes fail the sha256 check; the file is deleted', async () => {
  knobs.corruptAt = 3_000_000;
  await assert.rejects(installModel({ checkArchitecture: tinyArchCheck, env }), (err: unknown) => err instanceof UserError && err.message.includes(`expected ${sha}`) && /deleted/.test(err.message));
  assert.ok(!existsSync(installedPath(spec, env)));
  assert.ok(!existsSync(`${installedPath(spec, env)}.part`));
});

test('404 gives a clear error', async () => {
  knobs.notFound = true;
  await assert.rejects(installModel({ checkArchitecture: tinyArchCheck, env }), (err: unknown) => err instanceof UserError && /not found at http:\/\/127\.0\.0\.1:\d+\/ohayonguy\/.*HTTP 404/.test(err.message));
});

test('HF_HUB_OFFLINE without a local copy: clear error, no network', async () => {
  env.HF_HUB_OFFLINE = '1';
  await assert.rejects(installModel({ checkArchitecture: tinyArchCheck, env }), (err: unknown) => err instanceof UserError && /HF_HUB_OFFLINE/.test(err.message) && /heirloom models import/.test(err.message));
  await assert.rejects(resolveModel(undefined, { env }), /heirloom models install/);
  assert.equal(log.length, 0);
});

/** Lays out the file like huggingface_hub does: blob + snapshot symlink + refs/main. */
async function fillHfCache(hubDir: string): Promise<string> {
  const repoDir = path.join(hubDir, 'models--ohayonguy--PMRF_blind_face_image_restoration');
  await mkdir(path.join(repoDir, 'blobs'), { recursive: true });
  await mkdir(path.join(repoDir, 'snapshots', COMMIT), { recursive: true });
  await mkdir(path.join(repoDir, 'refs'), { recursive: true });
  await writeFile(path.join(repoDir, 'blobs', sha), body);
  const snap = path.join(repoDir, 'snapshots', COMMIT, 'model.safetensors');
  await symlink(path.join('..', '..', 'blobs', sha), snap);
  await writeFile(path.join(repoDir, 'refs', 'main'), COMMIT);
  return snap;
}

test('HF_HUB_OFFLINE with a cached file uses it', async () => {
  env.HF_HUB_OFFLINE = 'true';
  const snap = await fillHfCache(path.join(env.HF_HOME, 'hub'));
  const r = await installModel({ checkArchitecture: tinyArchCheck, env });
  assert.deepEqual([r.path, r.source, r.changed], [snap, 'hf-cache', false]);
  assert.equal(await resolveModel(undefined, { env }), snap);
  assert.equal(log.length, 0);
});

test('an existing Hugging Face cache (HF_HOME, or HF_HUB_CACHE) is reused, not downloaded', async () => {
  const snap = await fillHfCache(path.join(env.HF_HOME, 'hub'));
  assert.equal(await resolveModel(undefined, { env }), snap);
  const r = await installModel({ checkArchitecture: tinyArchCheck, env });
  assert.equal(r.source, 'hf-cache');
  assert.equal(log.length, 0);
  const [status] = listModels({ env });
  assert.deepEqual([status.location?.source, status.size], ['hf-cache', body.length]);

  const custom = path.join(root, `hubcache-${caseNo}`);
  const snap2 = await fillHfCache(custom);
  assert.equal(await resolveModel(undefined, { env: { ...env, HF_HUB_CACHE: custom } }), snap2);
  // --force downloads into Heirloom's folder anyway.
  const forced = await installModel({ checkArchitecture: tinyArchCheck, env, force: true });
  assert.equal(forced.source, 'heirloom');
  assert.equal(gets().length, 1);
});

test('HF_ENDPOINT points downloads at a mirror (direct 200 with a sha256 ETag)', async () => {
  env.HF_ENDPOINT = `${base}/mirror/`;
  knobs.direct = true;
  const r = await installModel({ checkArchitecture: tinyArchCheck, env });
  assert.deepEqual(log.map((e) => `${e.method} ${e.url}`), [`HEAD /mirror${RESOLVE}`, `GET /mirror${RESOLVE}`]);
  assert.equal(r.sha256, sha);
  assert.ok((await readFile(r.path)).equals(body));
});

test('an unreachable Hub is a clear error that says what to try', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(installModel({ checkArchitecture: tinyArchCheck, env: { ...env, HF_ENDPOINT: `http://127.0.0.1:${port}` } }), (err: Error) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, /^cannot reach http:\/\/127\.0\.0\.1:\d+\/.*ECONNREFUSED.*HTTPS_PROXY.*heirloom models import/);
    return true;
  });
});

test('HF_TOKEN goes to the Hub only, never to the CDN on another host', async () => {
  env.HF_TOKEN = 'hf_secret';
  knobs.cdnHost = 'localhost';
  const r = await installModel({ checkArchitecture: tinyArchCheck, env });
  assert.equal(r.sha256, sha);
  assert.deepEqual(log.map((e) => [e.method, e.auth]), [['HEAD', 'Bearer hf_secret'], ['GET', undefined]]);
  // A mirror that serves the file itself is the Hub: it gets the token on the GET too.
  log = [];
  env = { ...env, HEIRLOOM_HOME: `${env.HEIRLOOM_HOME}-2`, HF_ENDPOINT: `${base}/mirror` };
  knobs.direct = true;
  await installModel({ checkArchitecture: tinyArchCheck, env });
  assert.deepEqual(log.map((e) => [e.method, e.auth]), [['HEAD', 'Bearer hf_secret'], ['GET', 'Bearer hf_secret']]);
});

test('HTTPS_PROXY / HTTP_PROXY are used for the download, NO_PROXY bypasses them', async () => {
  // A forward proxy: CONNECT tunnels and absolute-form requests, each recorded.
  const seen: string[] = [];
  const proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '');
    const upstream = http.request(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  proxy.on('connect', (req: http.IncomingMessage, client: import('node:net').Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  try {
    const r = await installModel({ checkArchitecture: tinyArchCheck, env: { ...env, http_proxy: proxyUrl } });
    assert.ok((await readFile(r.path)).equals(body));
    assert.ok(seen.length >= 2, `the proxy carried the HEAD and the GET (${seen.join(', ')})`);
    assert.equal(log.length, 2, 'and the server saw them');

    seen.length = 0;
    const direct = { ...env, HEIRLOOM_HOME: `${env.HEIRLOOM_HOME}-direct`, HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' };
    await installModel({ checkArchitecture: tinyArchCheck, env: direct });
    assert.deepEqual(seen, [], 'NO_PROXY: straight to the server');
  } finally {
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  }
});

test('import copies a valid checkpoint in and records its hash; rejects other files', async () => {
  const src = path.join(projectFixtures, 'pmrf', 'tiny', 'checkpoint.safetensors');
  const before = await stat(src);
  const r = await importModel(src, { checkArchitecture: tinyArchCheck, env });
  assert.equal(r.path, installedPath(spec, env));
  assert.equal(r.sha256, sha);
  assert.ok((await readFile(r.path)).equals(body));
  const afterStat = await stat(src);
  assert.equal(afterStat.mtimeMs, before.mtimeMs, 'source untouched');
  const memo = JSON.parse(await readFile(path.join(env.HEIRLOOM_HOME, 'models', 'hashes.json'), 'utf8')) as Record<string, { sha256: string }>;
  assert.equal(Object.values(memo)[0].sha256, sha);
  assert.equal(await resolveModel(undefined, { env }), r.path);

  const other = path.join(root, `other-${caseNo}.safetensors`);
  await writeSafetensors(other, [{ name: 'encoder.weight', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]);
  await assert.rejects(importModel(other, { checkArchitecture: tinyArchCheck, env }), /not a PMRF.*no tensors named model\.\* or mmse_model\.\*/);
  const junk = path.join(root, `junk-${caseNo}.bin`);
  await writeFile(junk, 'this is not a checkpoint at all');
  await assert.rejects(importModel(junk, { checkArchitecture: tinyArchCheck, env }), (err: unknown) => err instanceof UserError && err.message.includes(junk));
  await assert.rejects(importModel(path.join(root, 'missing.safetensors'), { checkArchitecture: tinyArchCheck, env }), /file not found/);
});

test('a download lock held by a live process refuses a second download; a stale one is ignored', async () => {
  const dest = installedPath(spec, env);
  await mkdir(path.dirname(dest), { recursive: true });
  await writeFile(`${dest}.lock`, String(process.ppid)); // our parent is alive
  await assert.rejects(installModel({ checkArchitecture: tinyArchCheck, env }), /already downloading/);
  assert.equal(gets().length, 0);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid; // exited by now
  await writeFile(`${dest}.lock`, String(dead));
  const r = await installModel({ checkArchitecture: tinyArchCheck, env });
  assert.ok((await readFile(r.path)).equals(body));
  assert.ok(!existsSync(`${dest}.lock`), 'lock released');
});

/** The tiny checkpoint with one tensor transposed ([32,48] -> [48,32], the issue's case) or one left out. */
async function brokenTiny(kind: 'reshaped' | 'missing'): Promise<string> {
  const src = await openSafetensors(path.join(projectFixtures, 'pmrf', 'tiny', 'checkpoint.safetensors'));
  try {
    const tensors = [];
    for (const t of src.list()) {
      if (kind === 'missing' && t.name === 'model.time_in_proj.weight') continue;
      const data = (await src.read(t.name)) as Float32Array;
      const shape = kind === 'reshaped' && t.name === 'model.patch_in.proj.weight' ? [t.shape[1], t.shape[0]] : t.shape;
      tensors.push({ name: t.name, dtype: t.dtype, shape, data });
    }
    const file = path.join(root, `${kind}-${caseNo}.safetensors`);
    await writeSafetensors(file, tensors);
    return file;
  } finally {
    await src.close();
  }
}

test('import checks every tensor against the architecture; a failed import leaves the installed model untouched', async () => {
  const good = await importModel(path.join(projectFixtures, 'pmrf', 'tiny', 'checkpoint.safetensors'), { checkArchitecture: tinyArchCheck, env });
  const installed = await stat(good.path);
  const cases: [string, RegExp][] = [
    ['reshaped', /^reshaped-\d+\.safetensors does not match the architecture \(1 problems\):\n {2}model\.patch_in\.proj\.weight: shape \[48,32\], expected \[32,48\]$/],
    ['missing', /^missing-\d+\.safetensors does not match the architecture \(1 problems\):\n {2}missing model\.time_in_proj\.weight \[64,64\]$/],
  ];
  for (const [kind, message] of cases) {
    const file = await brokenTiny(kind as 'reshaped' | 'missing');
    await assert.rejects(importModel(file, { checkArchitecture: tinyArchCheck, env }), (err: unknown) => err instanceof UserError && message.test(err.message));
    const now = await stat(good.path);
    assert.deepEqual([now.size, now.mtimeMs, now.ino], [installed.size, installed.mtimeMs, installed.ino], `${kind}: the installed model untouched`);
    assert.ok((await readFile(good.path)).equals(body));
  }
  const leftovers = (await readdir(path.dirname(good.path))).filter((n) => n.includes('.import-'));
  assert.deepEqual(leftovers, [], 'no temporary copies left');
});

test('install checks the downloaded file against the architecture before it replaces anything', async () => {
  const first = await installModel({ checkArchitecture: tinyArchCheck, env });
  const installed = await stat(first.path);
  // The same bytes checked against the published model's architecture: refused, nothing replaced.
  const published = inProcessArchCheck(undefined);
  await assert.rejects(
    installModel({ checkArchitecture: published, env, force: true }),
    (err: unknown) => err instanceof UserError && /^the downloaded model\.safetensors does not match the architecture \(\d+ problems\)/.test(err.message),
  );
  const now = await stat(first.path);
  assert.deepEqual([now.mtimeMs, now.ino], [installed.mtimeMs, installed.ino]);
  assert.ok(!existsSync(`${first.path}.part`), 'the refused download is not kept');
  let announced: { size: number | undefined; sha256: string | undefined } | undefined;
  await installModel({ checkArchitecture: tinyArchCheck, env, force: true, onAnnounce: (a) => (announced = a) });
  assert.deepEqual(announced, { size: body.length, sha256: sha });
});
