import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { appDataDir, cacheDir, modelsDir } from '../../src-main/util/app-paths.ts';
import { sha256File } from '../../src-main/util/file-hash.ts';
import {
  findInHfCache,
  hfEndpoint,
  hfFileUrl,
  hfHubCacheDir,
  hfOffline,
  hfRepoFolderName,
  normalizeEtag,
} from '../../src-main/models/hf-hub.ts';
import { knownModels, parseManifest } from '../../src-main/models/manifest.ts';

test('app paths per platform and HEIRLOOM_HOME override', () => {
  const home = homedir();
  assert.equal(appDataDir({}, 'linux'), path.join(home, '.local', 'share', 'heirloom'));
  assert.equal(appDataDir({ XDG_DATA_HOME: '/x/data' }, 'linux'), path.join('/x/data', 'heirloom'));
  assert.equal(appDataDir({ APPDATA: '/c/Users/me/AppData/Roaming' }, 'win32'), path.join('/c/Users/me/AppData/Roaming', 'Heirloom'));
  assert.equal(appDataDir({}, 'darwin'), path.join(home, 'Library', 'Application Support', 'Heirloom'));
  assert.equal(appDataDir({ HEIRLOOM_HOME: '/tmp/h' }, 'win32'), path.resolve('/tmp/h'));
  assert.equal(modelsDir({ HEIRLOOM_HOME: '/tmp/h' }), path.resolve('/tmp/h/models'));
  assert.equal(cacheDir({ HEIRLOOM_HOME: '/tmp/h' }), path.resolve('/tmp/h/cache'));
  assert.equal(cacheDir({}, 'linux'), path.join(home, '.cache', 'heirloom'));
});

test('Hugging Face environment conventions', () => {
  assert.equal(hfEndpoint({}), 'https://huggingface.co');
  assert.equal(hfEndpoint({ HF_ENDPOINT: 'https://hf-mirror.com/' }), 'https://hf-mirror.com');
  for (const v of ['1', 'ON', 'yes', 'True']) assert.equal(hfOffline({ HF_HUB_OFFLINE: v }), true, v);
  for (const v of [undefined, '', '0', 'false']) assert.equal(hfOffline({ HF_HUB_OFFLINE: v }), false, String(v));
  assert.equal(hfHubCacheDir({ HF_HUB_CACHE: '/a/hub' }), path.resolve('/a/hub'));
  assert.equal(hfHubCacheDir({ HUGGINGFACE_HUB_CACHE: '/legacy' }), path.resolve('/legacy'));
  assert.equal(hfHubCacheDir({ HF_HOME: '/hf' }), path.resolve('/hf/hub'));
  assert.equal(hfHubCacheDir({ XDG_CACHE_HOME: '/xdg' }), path.resolve('/xdg/huggingface/hub'));
  assert.equal(hfHubCacheDir({}), path.join(homedir(), '.cache', 'huggingface', 'hub'));
  assert.equal(hfRepoFolderName('ohayonguy/PMRF_blind_face_image_restoration'), 'models--ohayonguy--PMRF_blind_face_image_restoration');
  assert.equal(normalizeEtag('W/"abc"'), 'abc');
  assert.equal(normalizeEtag(null), undefined);
});

test('the manifest URL is what HF_ENDPOINT + repo/revision/file builds by default', () => {
  const [m] = knownModels();
  assert.equal(m.id, 'pmrf-blind-face-512');
  assert.equal(m.license, 'MIT');
  assert.equal(hfFileUrl(m.repo, m.revision, m.file, {}), m.url);
  assert.throws(() => parseManifest({ models: [{ ...m, sha256: 'nothex' }] }), /bad sha256/);
  assert.throws(() => parseManifest({}), /must be an array/);
});

test('findInHfCache prefers refs/main and falls back to any snapshot', async () => {
  const hub = await mkdtemp(path.join(tmpdir(), 'heirloom-hub-'));
  try {
    const env = { HF_HUB_CACHE: hub };
    const repo = 'o/r';
    assert.equal(findInHfCache(repo, 'main', 'model.safetensors', env), undefined);
    const snaps = path.join(hub, 'models--o--r', 'snapshots');
    const c1 = '1'.repeat(40);
    const c2 = '2'.repeat(40);
    await mkdir(path.join(snaps, c1), { recursive: true });
    await mkdir(path.join(snaps, c2), { recursive: true });
    await writeFile(path.join(snaps, c1, 'model.safetensors'), 'x');
    assert.equal(findInHfCache(repo, 'main', 'model.safetensors', env), path.join(snaps, c1, 'model.safetensors'));
    await writeFile(path.join(snaps, c2, 'model.safetensors'), 'y');
    await mkdir(path.join(hub, 'models--o--r', 'refs'), { recursive: true });
    await writeFile(path.join(hub, 'models--o--r', 'refs', 'main'), `${c2}\n`);
    assert.equal(findInHfCache(repo, 'main', 'model.safetensors', env), path.join(snaps, c2, 'model.safetensors'));
    assert.equal(findInHfCache(repo, c1, 'model.safetensors', env), path.join(snaps, c1, 'model.safetensors'));
  } finally {
    await rm(hub, { recursive: true, force: true });
  }
});

test('sha256File memoises by size and mtime', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'heirloom-hash-'));
  try {
    const file = path.join(dir, 'f.bin');
    const memoFile = path.join(dir, 'models', 'hashes.json');
    await writeFile(file, 'hello heirloom');
    const real = createHash('sha256').update('hello heirloom').digest('hex');
    assert.equal(await sha256File(file, { memoFile }), real);
    const memo = JSON.parse(await readFile(memoFile, 'utf8')) as Record<string, { sha256: string }>;
    const key = Object.keys(memo)[0];
    // A planted memo value is returned while size+mtime match: the memo really is used...
    memo[key].sha256 = 'f'.repeat(64);
    await writeFile(memoFile, JSON.stringify(memo));
    assert.equal(await sha256File(file, { memoFile }), 'f'.repeat(64));
    // ...and ignored once the file changes.
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    assert.equal(await sha256File(file, { memoFile }), real);
    // A corrupt memo is only a cache miss.
    await writeFile(memoFile, '{not json');
    assert.equal(await sha256File(file, { memoFile }), real);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
