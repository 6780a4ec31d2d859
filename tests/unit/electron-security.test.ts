/**
 * Issue 14, item 6: what a compromised page cannot do. Links go to the system browser only for the
 * hosts the app links to; the packaged binary has the Electron fuses set; the browser-test
 * transport checks Host and Origin on every request. (Forged drops: services.test.ts and
 * ipc-register.test.ts.)
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isAllowedExternalUrl } from '../../src-main/app/origins.ts';
import { requestAllowed } from '../../src-main/ipc/ws-transport.ts';
import { repoRoot } from '../helpers/shared.ts';

test('openExternal only for https links to the hosts the app links to', () => {
  const cases: [string, boolean][] = [
    ['https://huggingface.co/ohayonguy/PMRF_blind_face_image_restoration', true],
    ['https://github.com/heirloom-photo/heirloom', true],
    ['http://huggingface.co/', false],
    ['https://huggingface.co.evil.example/', false],
    ['https://evil.example/?https://huggingface.co', false],
    ['https://user:pw@huggingface.co/', false],
    ['https://huggingface.co:8443/', false],
    ['file:///etc/passwd', false],
    ['smb://server/share', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
  ];
  for (const [url, allowed] of cases) assert.equal(isAllowedExternalUrl(url), allowed, url);
});

test('the packaging config sets the Electron fuses, under the names electron-builder reads', () => {
  const require = createRequire(import.meta.url);
  const yaml = require('js-yaml') as { load(text: string): unknown };
  const config = yaml.load(readFileSync(path.join(repoRoot, 'electron-builder.yml'), 'utf8')) as { electronFuses?: Record<string, boolean> };
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
    enableCookieEncryption: true,
  });
  // A misspelt key would be ignored silently: each must be one electron-builder maps to a fuse.
  const packager = readFileSync(require.resolve('app-builder-lib/out/platformPackager.js'), 'utf8');
  for (const key of Object.keys(config.electronFuses)) assert.match(packager, new RegExp(`fuses\\.${key} != null`), key);
  // RunAsNode off is safe only because the app never forks: its workers are utilityProcesses.
  const app = readFileSync(path.join(repoRoot, 'src-main', 'app', 'worker-process.ts'), 'utf8');
  assert.match(app, /utilityProcess\.fork\(/);
});

test('the test transport serves only requests that name it and come from its own pages', () => {
  const hosts = new Set(['127.0.0.1:5000', 'localhost:5000']);
  const origins = new Set(['http://127.0.0.1:5000', 'http://localhost:5000']);
  const cases: [Record<string, string>, boolean, boolean][] = [
    [{ host: '127.0.0.1:5000' }, false, true],
    [{ host: 'LOCALHOST:5000', 'sec-fetch-site': 'same-origin' }, false, true],
    [{ host: '127.0.0.1:5000', 'sec-fetch-site': 'none' }, false, true],
    [{ host: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000' }, true, true],
    [{ host: '127.0.0.1:5000' }, true, false],
    [{ host: '127.0.0.1:5000', 'sec-fetch-site': 'cross-site' }, false, false],
    [{ host: '127.0.0.1:5000', 'sec-fetch-site': 'same-site' }, false, false],
    [{ host: '127.0.0.1:5000', origin: 'http://evil.example' }, false, false],
    [{ host: 'evil.example:5000', origin: 'http://127.0.0.1:5000' }, true, false],
    [{ host: '127.0.0.1:5001' }, false, false],
    [{}, false, false],
  ];
  for (const [headers, write, allowed] of cases) assert.equal(requestAllowed(headers, hosts, origins, write), allowed, JSON.stringify([headers, write]));
});
