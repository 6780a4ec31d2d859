import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatProgress } from '../../src-main/cli/commands/models.ts';
import { writeSafetensors } from '../../src-main/checkpoint/safetensors-writer.ts';
import { projectFixtures, repoRoot } from '../helpers/shared.ts';

/** The real `heirloom models ...` CLI in a child process, with temp HEIRLOOM_HOME / HF_HOME. */

const tiny = path.join(projectFixtures, 'pmrf', 'tiny', 'checkpoint.safetensors');
/** The tiny checkpoint is checked against its own architecture (it is not the published model's). */
const tinyArch = ['--arch', path.join(projectFixtures, 'pmrf', 'tiny', 'meta.json')];
let root: string;
let body: Buffer;
let server: http.Server;
let endpoint: string;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'heirloom-cli-models-'));
  body = await readFile(tiny);
  const sha = createHash('sha256').update(body).digest('hex');
  // Minimal HF-style server: direct 200 with the sha256 as ETag.
  server = http.createServer((req, res) => {
    if (!req.url?.endsWith('/resolve/main/model.safetensors')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': String(body.length), etag: `"${sha}"` });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(root, { recursive: true, force: true });
});

function run(args: string[], home: string, extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('HF_') && k !== 'HEIRLOOM_MODEL') env[k] = v;
  Object.assign(env, { HEIRLOOM_HOME: path.join(home, 'heirloom'), HF_HOME: path.join(home, 'hf'), ...extraEnv });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'heirloom.mjs'), 'models', ...args], { env, cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('formatProgress', () => {
  assert.equal(
    formatProgress({ bytes: 415_200_000, total: 923_000_000, bytesPerSecond: 12_300_000, etaSeconds: 41.3, resumedFrom: 0 }),
    ' 44% 415.2/923.0 MB  12.3 MB/s  ETA 0:41',
  );
  assert.equal(formatProgress({ bytes: 5_000_000, total: undefined, bytesPerSecond: 0, etaSeconds: undefined, resumedFrom: 0 }), '5.0 MB');
  assert.match(formatProgress({ bytes: 1, total: 2, bytesPerSecond: 1, etaSeconds: 3725, resumedFrom: 0 }), /ETA 1:02:05$/);
});

test('path without a model exits 1 with how to install', async () => {
  const r = await run(['path'], path.join(root, 'a'));
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /heirloom models install/);
  assert.match(r.stderr, /heirloom models import <file>/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('import, then path and list show the installed copy', async () => {
  const home = path.join(root, 'b');
  const imp = await run(['import', tiny, ...tinyArch], home);
  assert.equal(imp.code, 0, imp.stderr);
  const installed = imp.stdout.trim();
  assert.ok((await readFile(installed)).equals(body));
  const p = await run(['path'], home);
  assert.deepEqual([p.code, p.stdout.trim()], [0, installed]);
  const list = await run(['list', '--json'], home);
  const rows = JSON.parse(list.stdout) as { id: string; status: string; path: string; size: number }[];
  assert.deepEqual(rows.map((r) => [r.id, r.status, r.path, r.size]), [['pmrf-blind-face-512', 'heirloom', installed, body.length]]);
  const bad = await run(['import', path.join(root, 'nope.safetensors')], home);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /file not found/);
});

test('install downloads from HF_ENDPOINT with progress on stderr and the path on stdout', async () => {
  const home = path.join(root, 'c');
  const r = await run(['install', ...tinyArch], home, { HF_ENDPOINT: endpoint });
  assert.equal(r.code, 0, r.stderr);
  const sha = createHash('sha256').update(body).digest('hex');
  assert.match(r.stderr, new RegExp(`^the server announces model\\.safetensors: size ${body.length}, sha256 ${sha} \\(models/manifest\\.json records none yet\\)$`, 'm'));
  assert.ok((await readFile(r.stdout.trim())).equals(body));
  assert.match(r.stderr, /100% 4\.2\/4\.2 MB/);
  assert.match(r.stderr, new RegExp(`installed pmrf-blind-face-512: ${body.length} bytes \\(4\\.2 MB\\), sha256 ${sha}`));
  const again = await run(['install', ...tinyArch], home, { HF_ENDPOINT: endpoint });
  assert.equal(again.code, 0);
  assert.match(again.stderr, /already available/);
  const offline = await run(['install'], path.join(root, 'd'), { HF_HUB_OFFLINE: '1', HF_ENDPOINT: endpoint });
  assert.equal(offline.code, 2);
  assert.match(offline.stderr, /HF_HUB_OFFLINE is set/);
});

test('import refuses a checkpoint that does not match the architecture, through the inference process; the installed model stays', async () => {
  const home = path.join(root, 'e');
  const ok = await run(['import', tiny, ...tinyArch], home);
  assert.equal(ok.code, 0, ok.stderr);
  const installed = ok.stdout.trim();
  // The tiny checkpoint is not the published model: checked against the published architecture it is refused.
  const asPublished = await run(['import', tiny], home);
  assert.equal(asPublished.code, 2);
  assert.match(asPublished.stderr, /^heirloom: checkpoint\.safetensors does not match the architecture \(\d+ problems\):\n {2}/);
  assert.doesNotMatch(asPublished.stderr, /\n\s+at /, 'no stack trace');
  // A file with the right name prefixes but not the tensors (what the old prefix check let through).
  const fake = path.join(root, 'fake.safetensors');
  await writeSafetensors(fake, [
    { name: 'model.patch_in.proj.weight', dtype: 'F32', shape: [48, 32], data: new Float32Array(48 * 32) },
    { name: 'mmse_model.conv_first.weight', dtype: 'F32', shape: [1], data: new Float32Array(1) },
  ]);
  const bad = await run(['import', fake, ...tinyArch], home);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^heirloom: fake\.safetensors does not match the architecture \(146 problems\):\n {2}missing mmse_model\.conv_first\.1\.weight \[24,192,3,3\]\n/);
  assert.ok((await readFile(installed)).equals(body), 'the installed model is untouched');
});
