import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CHANNELS, EVENT_NAMES, isContractChannel, isEventName } from '../../src-shared/channels.ts';
import { isChannel, parseRequest, requestSchemas, type Channel } from '../../src-shared/ipc.ts';
import { mediaPath, mediaProtocolUrl, parseMediaPath } from '../../src-shared/media-ref.ts';
import { wsMediaBase } from '../../src-shared/ws-protocol.ts';
import { DEFAULT_SETTINGS } from '../../src-shared/settings.ts';
import { repoRoot } from '../helpers/shared.ts';

test('parseRequest accepts well-formed arguments and returns them', () => {
  assert.deepEqual(parseRequest('library:get', { photoId: 3 }), { photoId: 3 });
  assert.deepEqual(parseRequest('library:importDialog', { kind: 'folder' }), { kind: 'folder' });
  assert.deepEqual(parseRequest('faces:update', { faceId: 1, include: false }), { faceId: 1, include: false });
  assert.deepEqual(parseRequest('faces:add', { photoId: 2, box: [0, 5.5, 12, 40] }), { photoId: 2, box: [0, 5.5, 12, 40] });
  assert.deepEqual(parseRequest('export:run', { photoIds: [1, 2], pairs: 'side-by-side' }), { photoIds: [1, 2], pairs: 'side-by-side' });
  assert.deepEqual(parseRequest('export:run', { photoIds: [1], pairs: 'side-by-side', labels: true }), { photoIds: [1], pairs: 'side-by-side', labels: true });
  assert.deepEqual(parseRequest('faces:remove', { faceId: 4 }), { faceId: 4 });
  const settings = { restore: { ...DEFAULT_SETTINGS }, outputFolder: null };
  assert.deepEqual(parseRequest('settings:set', settings), settings);
  // Channels without arguments accept nothing (undefined from a bare invoke) or {}.
  assert.deepEqual(parseRequest('library:list', undefined), {});
  assert.deepEqual(parseRequest('jobs:current', {}), {});
});

test('parseRequest rejects bad arguments with a message naming the channel and field', () => {
  const cases: [Channel, unknown, RegExp][] = [
    ['library:get', { photoId: 'x' }, /library:get: photoId: .*expected number/],
    ['library:get', { photoId: 0 }, /photoId/],
    ['library:get', { photoId: 1.5 }, /photoId/],
    ['library:get', {}, /photoId/],
    ['library:importDialog', { kind: 'everything' }, /kind/],
    ['library:importDropped', { paths: [] }, /paths/],
    ['library:importDropped', { paths: [''] }, /paths\.0/],
    ['jobs:start', { photoIds: [1], extra: true }, /extra|unrecognized/i],
    ['faces:update', { faceId: 1, seed: -1 }, /seed/],
    ['faces:update', { faceId: 1, seed: 2 ** 32 }, /seed/],
    ['faces:add', { photoId: 1, box: [10, 10, 11, 40] }, /faces:add: box: the box must be at least 12 pixels/],
    ['faces:add', { photoId: 1, box: [10, 10, 40, -40] }, /box/],
    ['faces:add', { photoId: 1, box: [-3, 10, 40, 40] }, /box\.0/],
    ['faces:add', { photoId: 1, box: [10, 10, 40] }, /box/],
    ['faces:add', { photoId: 1, box: [10, 10, Infinity, 40] }, /box\.2/],
    ['faces:add', { box: [10, 10, 40, 40] }, /photoId/],
    ['settings:set', { restore: { ...DEFAULT_SETTINGS, scale: 3 }, outputFolder: null }, /restore\.scale/],
    ['settings:set', { restore: { ...DEFAULT_SETTINGS, steps: 0 }, outputFolder: null }, /restore\.steps/],
    ['library:list', { sneaky: 1 }, /sneaky|unrecognized/i],
    ['export:run', { photoIds: [1], pairs: 'zip' }, /pairs/],
    ['export:run', { photoIds: [1], pairs: 'files', labels: 'yes' }, /labels/],
    ['faces:remove', { faceId: -2 }, /faceId/],
    ['faces:remove', { faceId: 1, photoId: 2 }, /photoId|unrecognized/i],
  ];
  for (const [channel, args, pattern] of cases) {
    assert.throws(
      () => parseRequest(channel, args),
      (err: Error) => {
        assert.match(err.message, new RegExp(`^invalid arguments for ${channel}: `));
        assert.match(err.message, pattern);
        return true;
      },
      `${channel} ${JSON.stringify(args)}`,
    );
  }
});

test('unknown channels are refused', () => {
  assert.throws(() => parseRequest('fs:readFile' as Channel, {}), /unknown channel fs:readFile/);
  assert.throws(() => parseRequest('__proto__' as Channel, {}), /unknown channel/);
  assert.equal(isChannel('toString'), false);
  assert.equal(isChannel('library:list'), true);
  assert.equal(isContractChannel('constructor'), false);
  assert.equal(isContractChannel('jobs:progress'), false, 'an event is not a request channel');
  assert.equal(isEventName('jobs:progress'), true);
  assert.equal(isEventName('library:list'), false);
});

test('the runtime channel list used by the preload is exactly the contract', () => {
  assert.deepEqual([...CHANNELS].sort(), Object.keys(requestSchemas).sort());
  assert.equal(new Set(EVENT_NAMES).size, EVENT_NAMES.length);
});

test('media refs round-trip through URL paths and reject anything else', () => {
  const refs = [
    { kind: 'thumb', photoId: 12 },
    { kind: 'original', photoId: 1 },
    { kind: 'restored', photoId: 99999 },
    { kind: 'face', faceId: 7, variant: 'flow' },
    { kind: 'face', faceId: 8, variant: 'aligned' },
  ] as const;
  for (const ref of refs) {
    assert.deepEqual(parseMediaPath(mediaPath(ref)), ref);
    assert.deepEqual(parseMediaPath('/' + mediaPath(ref, 3)), ref);
  }
  assert.equal(mediaProtocolUrl({ kind: 'thumb', photoId: 12 }, 3), 'heirloom-media://media/thumb/12?v=3');
  for (const bad of ['', 'thumb', 'thumb/0', 'thumb/-1', 'thumb/1.5', 'thumb/12/x', 'face/3', 'face/3/raw', '../etc/passwd', 'thumb/%2e%2e', 'original/1e3']) {
    assert.equal(parseMediaPath(bad), null, bad);
  }
  assert.equal(wsMediaBase('ws://127.0.0.1:5180/ws?x=1'), 'http://127.0.0.1:5180/media/');
});

test('the window is hardened: isolated, sandboxed, no Node, web security on', async () => {
  const { hardenedWebPreferences } = await import('../../src-main/app/web-preferences.ts');
  const p = hardenedWebPreferences('/app/preload.cjs');
  assert.equal(p.preload, '/app/preload.cjs');
  assert.deepEqual(
    [p.contextIsolation, p.sandbox, p.nodeIntegration, p.nodeIntegrationInWorker, p.nodeIntegrationInSubFrames, p.webSecurity, p.allowRunningInsecureContent, p.webviewTag],
    [true, true, false, false, false, true, false, false],
  );
});

test('only our own top frame may call the main process', async () => {
  const { appUrlMatcher, isTrustedFrame } = await import('../../src-main/app/origins.ts');
  const app = appUrlMatcher(null);
  assert.equal(app('heirloom://app/index.html'), true);
  for (const url of ['heirloom://evil/index.html', 'file:///tmp/index.html', 'https://example.com/', 'http://localhost:5173/', 'heirloom-media://media/thumb/1', 'not a url']) {
    assert.equal(app(url), false, url);
  }
  const dev = appUrlMatcher('http://localhost:5173/');
  assert.equal(dev('http://localhost:5173/src/main.ts'), true);
  assert.equal(dev('http://localhost:5174/'), false);
  assert.equal(isTrustedFrame({ url: 'heirloom://app/index.html', parent: null }, app), true);
  assert.equal(isTrustedFrame({ url: 'heirloom://app/index.html', parent: {} }, app), false, 'an iframe');
  assert.equal(isTrustedFrame({ url: 'https://example.com/', parent: null }, app), false);
  assert.equal(isTrustedFrame(null, app), false, 'a frame that navigated away or was destroyed');
});

test('the CSP header the app sends matches the renderer build policy', async () => {
  const { CONTENT_SECURITY_POLICY } = await import('../../src-main/app/origins.ts');
  // The renderer's policy lives in its own tree (outside this typecheck): load it by path.
  let contentSecurityPolicy: ((mode: string) => string) | undefined;
  for (const file of [path.join(repoRoot, 'src-renderer', 'lib', 'csp.ts'), path.join(repoRoot, 'vite.config.ts')]) {
    if (contentSecurityPolicy === undefined && existsSync(file)) {
      contentSecurityPolicy = ((await import(file)) as { contentSecurityPolicy?: (mode: string) => string }).contentSecurityPolicy;
    }
  }
  assert.ok(contentSecurityPolicy, 'the renderer exports contentSecurityPolicy(mode)');
  const parse = (csp: string) => new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.sort().join(' ')]));
  const header = parse(CONTENT_SECURITY_POLICY);
  const meta = parse(contentSecurityPolicy('production'));
  for (const [k, v] of meta) assert.equal(header.get(k), v, k);
  assert.equal(header.get('frame-ancestors'), "'none'", 'header-only directive');
});
