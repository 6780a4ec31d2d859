/**
 * The packaged main process + preload in a real Electron, driven by Playwright's `_electron`.
 * Electron's binary cannot be downloaded on every machine (CI sandboxes): the test then skips
 * and says so. It never triggers the download itself (requiring the `electron` package would).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { repoRoot } from '../helpers/shared.ts';

/** The Electron executable if installed, found the way the `electron` package does, minus the download. */
function electronBinary(): string | null {
  const pkg = path.join(repoRoot, 'node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const rel = readFileSync(pathFile, 'utf8').trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(pkg, 'dist');
  const bin = path.join(dist, rel);
  return existsSync(bin) ? bin : null;
}

/**
 * better-sqlite3 is a native module: Electron needs it built for its own ABI (electron-builder
 * does that when packaging; in a dev tree run `npx @electron/rebuild -f -w better-sqlite3`, and
 * `npm rebuild better-sqlite3` to go back to Node). When it still loads in this Node, it is not
 * built for Electron.
 */
function nativeModulesProblem(): string | false {
  let abi = '';
  try {
    abi = readFileSync(path.join(repoRoot, 'node_modules', 'electron', 'abi_version'), 'utf8').trim();
  } catch {
    return false;
  }
  if (abi === process.versions.modules) return false;
  try {
    createRequire(import.meta.url)('better-sqlite3');
  } catch {
    return false;
  }
  return `better-sqlite3 is built for Node (ABI ${process.versions.modules}), Electron needs ABI ${abi}: run npx @electron/rebuild -f -w better-sqlite3`;
}

const binary = electronBinary();
const skip = binary === null ? 'Electron binary not installed here' : nativeModulesProblem();
if (skip) console.log(`# skipping Electron e2e: ${skip}`);

function run(args: string[]): void {
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

describe('Electron app', { skip }, () => {
  let app: ElectronApplication;
  let page: Page;

  before(async () => {
    run(['scripts/build-electron.mjs']);
    if (!existsSync(path.join(repoRoot, 'dist-renderer', 'index.html'))) run([path.join('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn']);
    const home = mkdtempSync(path.join(os.tmpdir(), 'heirloom-electron-'));
    app = await _electron.launch({
      executablePath: binary!,
      args: [repoRoot, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      env: { ...process.env, HEIRLOOM_HOME: home, ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 60_000,
    });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  after(async () => {
    await app?.close();
  });

  it('loads the renderer from the app protocol, with no Node in the page', async () => {
    assert.match(page.url(), /^heirloom:\/\/app\//);
    assert.deepEqual(await page.evaluate(() => [typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process]), ['undefined', 'undefined']);
  });

  it('exposes only the named bridge, which rejects channels outside the contract', async () => {
    const shape = await page.evaluate(() => Object.keys((globalThis as unknown as { heirloom: object }).heirloom).sort());
    assert.deepEqual(shape, ['invoke', 'mediaUrl', 'on', 'pathsForDroppedFiles']);
    const r = await page.evaluate(async () => {
      const api = (globalThis as unknown as { heirloom: { invoke(c: string, a: unknown): Promise<unknown>; on(e: string, l: () => void): () => void } }).heirloom;
      const list = await api.invoke('library:list', {});
      const unknown = await api.invoke('fs:read', { path: '/etc/passwd' }).then(() => 'resolved', (e: Error) => e.message);
      const bad = await api.invoke('library:get', { photoId: 'x' }).then(() => 'resolved', (e: Error) => e.message);
      let onError = '';
      try {
        api.on('library:list', () => {});
      } catch (e) {
        onError = (e as Error).message;
      }
      return { list, unknown, bad, onError };
    });
    assert.deepEqual(r.list, []);
    assert.match(r.unknown, /unknown channel/);
    assert.match(r.bad, /invalid arguments for library:get: photoId/);
    assert.match(r.onError, /unknown event/);
  });

  it('blocks remote content, navigation away and new windows', async () => {
    const fetched = await page.evaluate(() => fetch('https://example.com/').then(() => 'loaded', (e: Error) => `blocked: ${e.message}`));
    assert.match(fetched, /^blocked/);
    // (https links would go to the user's browser: use another URL so the test opens nothing.)
    await page.evaluate(() => (globalThis as unknown as { open(url: string): unknown }).open('http://example.com/'));
    assert.equal(app.windows().length, 1);
    await page.evaluate(() => {
      (globalThis as unknown as { location: { href: string } }).location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    assert.match(page.url(), /^heirloom:\/\/app\//);
    const csp = await app.evaluate(async ({ net }) => (await net.fetch('heirloom://app/index.html')).headers.get('content-security-policy'));
    assert.match(csp ?? '', /default-src 'none'/);
  });
});
