/**
 * Renderer UI in Chromium against a scripted HeirloomApi (injected as `window.heirloom` before the
 * page loads, exactly where the preload puts the real one). Covers what the real-services e2e
 * (app.test.ts) cannot drive on demand: download progress and cancel, job pause/resume and the
 * live announcements, drag-and-drop, error notices, and the exact payloads of settings, face and
 * export calls. The fake returns fixed records; it stands in for the main process only.
 *
 * This file uses DOM globals inside page callbacks, so the Node typecheck excludes it
 * (tsconfig: tests/e2e/renderer-*).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '../helpers/shared.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `needs Chromium at ${CHROMIUM} (apt-get install chromium)`;
if (skip) console.log(`# skipping renderer UI test: ${skip}`);
const buildDir = path.join(repoRoot, '.cache', 'renderer-ui');
const shots = path.join(repoRoot, 'test-results');

/** Runs in the page before the app: a scripted bridge that records every call. */
function installFakeApi(): void {
  const w = window as any;
  const listeners: Record<string, Set<(p: unknown) => void>> = {};
  const calls: { channel: string; args: any }[] = [];
  const svg = (w0: number, h0: number, color: string) =>
    'data:image/svg+xml,' +
    encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" width="${w0}" height="${h0}"><rect width="100%" height="100%" fill="${color}"/><circle cx="${w0 / 2}" cy="${h0 / 3}" r="${h0 / 6}" fill="#e8c9a8"/></svg>`);
  const settings = {
    restore: { steps: 4, fidelity: 1, sampler: 'euler', strength: 1, seed: 0, scale: 1, format: 'jpg', quality: 92, pairs: 'none', device: 'auto' },
    outputFolder: '/home/ann/Restored',
  };
  const faces = [
    { id: 11, photoId: 2, box: [100, 80, 120, 140], score: 0.97, points: [[130, 130], [190, 130], [160, 160], [135, 190], [185, 190]], include: true, seed: 5 },
    { id: 12, photoId: 2, box: [400, 100, 110, 130], score: 0.9, points: [[420, 150], [480, 150], [450, 180], [425, 200], [475, 200]], include: true, seed: 6 },
    { id: 13, photoId: 2, box: [600, 300, 14, 16], score: 0.6, points: [[603, 305], [610, 305], [606, 308], [603, 311], [610, 311]], include: true, seed: 7, skipped: 'too-small' },
  ];
  const photos = [
    { id: 1, name: 'grandma-1952.jpg', width: 800, height: 600, status: 'new', faceCount: 0, error: null, outOfDate: false },
    // Restored, then a setting changed: a batch does it again.
    { id: 2, name: 'wedding.tif', width: 800, height: 600, status: 'restored', faceCount: 3, error: null, outOfDate: true },
    { id: 3, name: 'broken.jpg', width: null, height: null, status: 'failed', faceCount: 0, error: 'not an image', outOfDate: false },
  ];
  const model = {
    installed: false,
    source: null,
    sizeBytes: 600_000_000,
    devices: ['cpu', 'webgpu'],
    activeDevice: 'cpu',
    secondsPerFaceEstimate: 42,
    gpuAdapter: 'AMD GPU 1002:73bf (driver amdgpu) via Vulkan',
    deviceNotes: ['webgpu: slower than the CPU on this machine (self-check: 2.10 s for a SwinIR and an HDiT pass, 1.20 s on the CPU)'],
    gpuCheck: null,
  };
  let job: any = null;
  const emit = (event: string, payload: unknown) => listeners[event]?.forEach((l) => l(payload));
  const detail = (id: number) => {
    const p = photos.find((x) => x.id === id)!;
    return {
      ...p,
      // Copies, as a real bridge (structured clone) would return.
      faces: id === 2 ? faces.map((f) => ({ ...f })) : [],
      result: p.status === 'restored' ? { settings: settings.restore, outputName: 'wedding-restored.jpg', finishedAt: '2026-01-01T00:00:00Z', timingsMs: {} } : null,
    };
  };
  const handlers: Record<string, (a: any) => unknown> = {
    'library:list': () => photos.map((p) => ({ ...p })),
    'library:get': (a) => detail(a.photoId),
    'photos:detect': (a) =>
      a.photoIds.map((id: number) => {
        const p = photos.find((x) => x.id === id)!;
        if (p.status === 'new') Object.assign(p, { status: 'detected', faceCount: 1 });
        return detail(id);
      }),
    'library:importDropped': (a) => ({ added: a.paths.length, unchanged: 0, failed: [], photoIds: [] }),
    'library:importDialog': () => null,
    'library:remove': (a) => {
      for (const id of a.photoIds) photos.splice(photos.findIndex((p) => p.id === id), 1);
    },
    'faces:update': (a) => {
      const f = faces.find((x) => x.id === a.faceId)!;
      if (a.include !== undefined) f.include = a.include;
      if (a.seed !== undefined) f.seed = a.seed;
      return { ...f };
    },
    'faces:add': (a) => {
      const [x, y, bw, bh] = a.box;
      const pt = (u: number, v: number) => [x + u * bw, y + v * bh];
      faces.push({ id: 14, photoId: a.photoId, box: a.box, score: 1, points: [pt(0.3, 0.35), pt(0.7, 0.35), pt(0.5, 0.55), pt(0.35, 0.75), pt(0.65, 0.75)], include: true, seed: 8, manual: true } as any);
      return detail(a.photoId);
    },
    'faces:remove': (a) => {
      const i = faces.findIndex((x) => x.id === a.faceId);
      const f = faces[i] as any;
      if (!f.manual) throw { code: 'invalid-arguments', message: 'Only faces added by hand can be removed' };
      faces.splice(i, 1);
      return detail(f.photoId);
    },
    'faces:preview': (a) => ({ faceId: a.faceId, seed: 5, mean: { kind: 'face', faceId: a.faceId, variant: 'mean' }, flow: { kind: 'face', faceId: a.faceId, variant: 'flow' } }),
    // The detector's mask: an 800x600 PNG, white on a band across the top (white = repair).
    'photos:damageMask': () => {
      const c = document.createElement('canvas');
      c.width = 800;
      c.height = 600;
      const g = c.getContext('2d')!;
      g.fillStyle = '#000';
      g.fillRect(0, 0, 800, 600);
      g.fillStyle = '#fff';
      g.fillRect(0, 50, 800, 10);
      return { png: c.toDataURL('image/png'), width: 800, height: 600, edited: false };
    },
    'photos:setDamageMask': (a) => detail(a.photoId),
    'settings:get': () => settings,
    'settings:set': (a) => Object.assign(settings, a),
    'settings:pickOutputFolder': () => settings,
    'models:status': () => ({ ...model }),
    'models:install': () => {
      // The first try is offline, as the issue found it: the raw error names the URL, the code and a proxy variable.
      if (!w.__offlineDone) {
        w.__offlineDone = true;
        throw {
          code: 'failed',
          message:
            'could not download https://huggingface.co/ohayonguy/PMRF_blind_face_image_restoration/resolve/main/model.safetensors: getaddrinfo ENOTFOUND huggingface.co (behind a proxy? set HTTPS_PROXY, or run `heirloom models import <file>` outside the app).',
        };
      }
      return new Promise((resolve) => {
        w.__finishInstall = () => {
          model.installed = true;
          model.source = 'heirloom' as any;
          emit('models:progress', { state: 'done', receivedBytes: 6e8, totalBytes: 6e8, bytesPerSecond: 0, etaMs: 0, error: null });
          resolve({ ...model });
        };
        emit('models:progress', { state: 'downloading', receivedBytes: 150_000_000, totalBytes: 600_000_000, bytesPerSecond: 12_500_000, etaMs: 36_000, error: null });
      });
    },
    'models:cancelInstall': () => undefined,
    'models:importDialog': () => null,
    'jobs:current': () => job,
    'jobs:start': (a) => {
      if (w.__failNextStart) {
        w.__failNextStart = false;
        throw { code: 'failed', message: 'the inference process stopped' };
      }
      job = { jobId: 7, state: 'queued', done: 0, failed: 0, total: a.photoIds.length, current: null, etaMs: null };
      return job;
    },
    'jobs:pause': () => (job = { ...job, state: 'paused' }),
    'jobs:resume': () => (job = { ...job, state: 'running' }),
    'jobs:cancel': () => (job = { ...job, state: 'cancelled', current: null }),
    'export:openFolder': () => undefined,
    'export:run': (a) => ({ folder: settings.outputFolder, written: a.photoIds.flatMap(() => ['wedding-restored.jpg', 'wedding-before.jpg', 'wedding-after.jpg']), failed: [] }),
  };
  w.heirloom = {
    invoke(channel: string, args: any) {
      calls.push({ channel, args: JSON.parse(JSON.stringify(args ?? {})) });
      try {
        return Promise.resolve(handlers[channel]!(args));
      } catch (e: any) {
        return Promise.reject(Object.assign(new Error(e.message), { code: e.code }));
      }
    },
    on(event: string, l: (p: unknown) => void) {
      (listeners[event] ??= new Set()).add(l);
      return () => listeners[event]!.delete(l);
    },
    mediaUrl(ref: any) {
      if (ref.kind === 'face') return svg(128, 128, ref.variant === 'flow' ? '#7a6a5a' : '#9a8a7a');
      return svg(800, 600, ref.kind === 'restored' ? '#5d7f6e' : '#8d7b63');
    },
    pathsForDroppedFiles(files: File[]) {
      return files.map((f) => `/dropped/${f.name}`);
    },
  };
  w.__calls = calls;
  w.__emit = emit;
  w.__photos = photos;
  w.__setJob = (j: unknown) => (job = j);
}

describe('renderer UI with a scripted bridge', { skip, timeout: 180_000 }, () => {
  let browser: Browser | undefined;
  let server: http.Server | undefined;
  let page: Page;
  const problems: string[] = [];
  const text = async (l: { textContent(): Promise<string | null> }): Promise<string> => ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const calls = async (channel: string): Promise<any[]> =>
    (await page.evaluate(() => (window as any).__calls as { channel: string; args: any }[])).filter((c) => c.channel === channel).map((c) => c.args);

  const waitForCalls = async (channel: string, n: number): Promise<void> => {
    for (let i = 0; i < 50 && (await calls(channel)).length < n; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await calls(channel)).length >= n, `${channel} called ${n} times`);
  };

  before(async () => {
    const vite = path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js');
    const r = spawnSync(process.execPath, [vite, 'build', '--outDir', buildDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: repoRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
    mkdirSync(shots, { recursive: true });
    // The app build (strict CSP) served over plain HTTP: no transport, the bridge is injected.
    server = http.createServer(async (req, res) => {
      const rel = (req.url ?? '/').split('?')[0] === '/' ? '/index.html' : (req.url ?? '/').split('?')[0]!;
      const file = path.resolve(buildDir, `.${rel}`);
      if (!file.startsWith(buildDir)) return void res.writeHead(403).end();
      try {
        const body = await readFile(file);
        const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html';
        res.writeHead(200, { 'Content-Type': type }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    // tsx (esbuild keepNames) wraps named functions in `__name(...)`; give the page a no-op one.
    await page.addInitScript({ content: 'window.__name = (f) => f;' });
    await page.addInitScript(installFakeApi);
    await page.goto(`http://127.0.0.1:${port}/`);
  });

  after(async () => {
    await browser?.close();
    server?.close();
  });

  it('says what the model is and its size before the download; offline, one plain sentence with Details', async () => {
    const card = page.locator('.setup .card');
    assert.match(await text(card), /restoration model \(PMRF\), 600 MB\. It is downloaded once from Hugging Face/);
    assert.doesNotMatch(await text(card), /HF_ENDPOINT|HF_HUB_OFFLINE/);
    await page.getByRole('button', { name: 'Download the model (600 MB)' }).click();
    const alert = page.getByRole('alert');
    await alert.first().waitFor();
    assert.equal(await alert.count(), 1, 'said once: no notice repeating the card');
    assert.equal(
      await text(alert.locator('p.error')),
      'Heirloom could not reach the internet to download the model. Try again when you are online, or import the model file if you have it.',
    );
    const details = alert.locator('details');
    assert.equal(await details.getAttribute('open'), null, 'the technical error is behind Details');
    await details.locator('summary').click();
    assert.match(await text(details.locator('pre')), /getaddrinfo ENOTFOUND huggingface\.co/);
    const overflow = await card.evaluate((el) => [...el.querySelectorAll('*')].filter((c) => c.getBoundingClientRect().right > el.getBoundingClientRect().right + 0.5).length);
    assert.equal(overflow, 0, 'nothing runs outside the card');
    await page.screenshot({ path: path.join(shots, 'ui-model-offline.png') });
    await page.getByRole('button', { name: 'Import the model file…' }).waitFor();
  });

  it('downloads the model with size, speed and ETA, can cancel, then shows the library', async () => {
    await page.getByRole('button', { name: 'Try again' }).click();
    const stats = page.locator('.stats');
    await stats.waitFor();
    assert.match(await text(stats), /150 MB of 600 MB \(25%\)/);
    assert.match(await text(stats), /12\.5 MB\/s/);
    assert.match(await text(stats), /about 36 s left/);
    assert.equal(await page.getByRole('progressbar', { name: 'Download progress' }).getAttribute('value'), '0.25');
    await page.screenshot({ path: path.join(shots, 'ui-model-download.png') });
    await page.getByRole('button', { name: 'Cancel download' }).click();
    assert.equal((await calls('models:cancelInstall')).length, 1);
    await page.evaluate(() => (window as any).__finishInstall());
    await page.getByRole('listbox', { name: 'Photos' }).waitFor();
  });

  it('shows a badge per photo status, including the failure', async () => {
    const labels = await page.getByRole('listbox', { name: 'Photos' }).getByRole('option').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    assert.deepEqual(labels, ['grandma-1952.jpg, New', 'wedding.tif, Out of date', 'broken.jpg, Failed']);
    assert.match((await page.locator('.tile .error').textContent()) ?? '', /not an image/);
  });

  it('imports dropped files through pathsForDroppedFiles', async () => {
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['x'], 'uncle.jpg', { type: 'image/jpeg' }));
      for (const type of ['dragenter', 'dragover', 'drop']) window.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    assert.deepEqual(await calls('library:importDropped'), [{ paths: ['/dropped/uncle.jpg'] }]);
    await page.getByText('1 photo added.').waitFor();
  });

  it('saves each settings change and shows the time estimate', async () => {
    await page.getByLabel('File format').selectOption('png');
    const slider = page.getByRole('slider', { name: /Faithful ↔ Realistic/ });
    await slider.fill('0');
    const saved = await calls('settings:set');
    assert.equal(saved.length, 2);
    assert.equal(saved[0].restore.format, 'png');
    assert.equal(saved[1].restore.fidelity, 0);
    assert.equal(saved[1].restore.format, 'png', 'the second save keeps the first change');
    assert.equal(await slider.getAttribute('aria-valuetext'), 'Faithful');
    // Quality steps and the sampler sit in the advanced section, unused by the most faithful result.
    await page.getByText('Advanced', { exact: true }).click();
    assert.ok(await page.getByLabel('Quality steps').isDisabled(), 'steps do not apply to the faithful result');
    assert.match(await text(page.getByTestId('estimate')), /about 42 s per face on CPU/i);
    await slider.fill('0.7');
    assert.equal(await slider.getAttribute('aria-valuetext'), '70 % realistic');
    await page.getByLabel('Sampler').selectOption('multistep2');
    await page.locator('aside.panel').screenshot({ path: path.join(shots, 'settings-fidelity.png') });
    const after = await calls('settings:set');
    assert.deepEqual([after[2].restore.fidelity, after[3].restore.sampler, after[3].restore.fidelity], [0.7, 'multistep2', 0.7]);
    await slider.fill('1');
    await page.getByLabel('Sampler').selectOption('euler');
    await page.getByText('Advanced', { exact: true }).click();
  });


  it('names the devices by what they are: WebGPU with its adapter, and why a provider is not used', async () => {
    const options = await page.locator('#device option').allTextContents();
    assert.deepEqual(options, ['Automatic (fastest available)', 'CPU', 'GPU (WebGPU): AMD GPU 1002:73bf (driver amdgpu) via Vulkan']);
    assert.match(await text(page.getByTestId('device-note')), /^Not used: GPU \(WebGPU\): slower than the CPU on this machine \(self-check: 2\.10 s/);
    const field = page.locator('.field', { has: page.locator('#device') });
    await field.scrollIntoViewIfNeeded();
    await field.screenshot({ path: path.join(shots, 'settings-device.png') });
  });
  it('reports a failed call as an alert and keeps working', async () => {
    await page.evaluate(() => ((window as any).__failNextStart = true));
    await page.getByRole('button', { name: /^Restore all/ }).click();
    await page.getByRole('alert').filter({ hasText: 'Could not start restoring: the inference process stopped' }).waitFor();
    await page.getByRole('alert').getByRole('button', { name: 'Dismiss message' }).click();
  });

  it('runs a batch with per-photo stages, live announcements, pause and resume', async () => {
    await page.getByRole('button', { name: 'Restore all (3, 1 out of date)' }).click();
    assert.deepEqual((await calls('jobs:start')).at(-1), { photoIds: [1, 2, 3] });
    await page.evaluate(() =>
      (window as any).__emit('jobs:progress', { jobId: 7, state: 'running', done: 1, failed: 0, total: 3, current: { photoId: 2, name: 'wedding.tif', stage: 'restore', fraction: 0.5 }, etaMs: 95_000 }),
    );
    const panel = page.getByTestId('job-panel');
    assert.match(await text(panel), /1 of 3 photos/);
    assert.match(await text(panel), /about 1 min 35 s left/);
    assert.equal(await panel.locator('[aria-current="step"]').textContent(), 'Restoring faces');
    assert.equal(await panel.getByRole('status').textContent(), 'Restoring wedding.tif. 1 of 3 restored.');
    const overall = Number(await panel.getByRole('progressbar', { name: 'Overall progress' }).getAttribute('value'));
    assert.ok(Math.abs(overall - 1.5 / 3) < 1e-9);
    await page.screenshot({ path: path.join(shots, 'ui-progress.png') });
    await panel.getByRole('button', { name: 'Pause' }).click();
    assert.deepEqual(await calls('jobs:pause'), [{ jobId: 7 }]);
    await panel.getByRole('button', { name: 'Resume' }).click();
    assert.deepEqual(await calls('jobs:resume'), [{ jobId: 7 }]);
    await panel.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(await calls('jobs:cancel'), [{ jobId: 7 }]);
    assert.equal((await panel.getByRole('heading').textContent())?.trim(), 'Cancelled');
    await panel.getByRole('button', { name: 'Close' }).click();
  });

  it('compares a restored photo, toggles and re-rolls faces, previews mean vs flow', async () => {
    await page.locator('[role="option"][aria-label^="wedding.tif,"]').dblclick();
    await page.getByRole('slider', { name: 'Before and after divider' }).waitFor({ state: 'attached' });
    const cards = page.locator('.faces li.card');
    assert.equal(await cards.count(), 3);
    assert.match(await text(cards.nth(2)), /Too small to restore/);
    await cards.nth(0).getByLabel('Restore this face').uncheck();
    assert.deepEqual((await calls('faces:update')).at(-1), { faceId: 11, include: false });
    await cards.nth(1).getByRole('button', { name: 'New variation' }).click();
    const reroll = (await calls('faces:update')).at(-1);
    assert.equal(reroll.faceId, 12);
    assert.ok(Number.isInteger(reroll.seed) && reroll.seed !== 6);
    await cards.nth(1).getByRole('button', { name: /Compare/ }).click();
    await cards.nth(1).getByRole('img', { name: /realistic result/ }).waitFor();
    assert.deepEqual(await calls('faces:preview'), [{ faceId: 12 }]);
    // Clicking a face box highlights its card.
    await page.getByRole('button', { name: 'Face 2', exact: true }).click();
    assert.ok(await cards.nth(1).evaluate((el) => el.classList.contains('active')));
    await page.screenshot({ path: path.join(shots, 'ui-viewer.png') });
    // The zoom label is the photo's own scale: the 800 px wide photo's fitted width on screen.
    const shown = (await page.locator('img[alt="Original photo"]').first().boundingBox())!.width;
    assert.equal(await text(page.getByLabel('Zoom level')), `${Math.round((100 * shown) / 800)}%`);
    // A library update for the open photo (e.g. the batch moving on) keeps the zoom.
    await page.getByRole('button', { name: 'Zoom in' }).click();
    assert.equal(await text(page.getByLabel('Zoom level')), `${Math.round((150 * shown) / 800)}%`);
    const before = (await calls('library:get')).length;
    await page.evaluate(() => (window as any).__emit('library:changed', { photoIds: [2] }));
    await waitForCalls('library:get', before + 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await text(page.getByLabel('Zoom level')), `${Math.round((150 * shown) / 800)}%`);
    await page.getByRole('button', { name: 'Fit' }).click();
  });

  it('adds a face by dragging a box on the zoomed photo; Escape cancels drawing', async () => {
    const add = page.getByRole('button', { name: 'Add a face' });
    await add.click();
    assert.equal(await add.getAttribute('aria-pressed'), 'true');
    await page.keyboard.press('Escape');
    assert.equal(await page.getByRole('button', { name: 'Add a face' }).getAttribute('aria-pressed'), 'false');
    assert.ok(await page.getByRole('region', { name: 'Photo viewer' }).isVisible(), 'Escape left draw mode, not the viewer');
    assert.equal((await calls('faces:add')).length, 0);

    // Zoom in about the centre, then drag from photo (360, 260) to (420, 350): the box must come back in photo pixels.
    await page.getByRole('button', { name: 'Zoom in' }).click();
    const stage = page.getByRole('group', { name: 'Before and after' });
    const r = (await stage.boundingBox())!;
    const k = Math.min(r.width / 800, r.height / 600);
    const fit = { left: (r.width - 800 * k) / 2, top: (r.height - 600 * k) / 2, width: 800 * k, height: 600 * k };
    // zoomAt(1.5) about the stage centre: x = cx - fit.left - (cx - fit.left) * 1.5.
    const s = 1.5;
    const vx = r.width / 2 - fit.left - (r.width / 2 - fit.left) * s;
    const vy = r.height / 2 - fit.top - (r.height / 2 - fit.top) * s;
    const screen = (u: number, v: number): [number, number] => [r.x + fit.left + vx + (u / 800) * fit.width * s, r.y + fit.top + vy + (v / 600) * fit.height * s];
    await page.getByRole('button', { name: 'Add a face' }).click();
    await page.mouse.move(...screen(360, 260));
    await page.mouse.down();
    await page.mouse.move(...screen(390, 300), { steps: 3 });
    await page.getByTestId('face-sketch').waitFor();
    await page.mouse.move(...screen(420, 350), { steps: 3 });
    await page.mouse.up();
    await waitForCalls('faces:add', 1);
    const [added] = await calls('faces:add');
    assert.equal(added.photoId, 2);
    const want = [360, 260, 60, 90];
    added.box.forEach((v: number, i: number) => assert.ok(Math.abs(v - want[i]) <= 1, `box ${added.box} is about ${want}`));
    const cards = page.locator('.faces li.card');
    for (let i = 0; i < 40 && (await cards.count()) !== 4; i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal(await cards.count(), 4);
    await page.getByRole('button', { name: 'Face 4', exact: true }).waitFor();
    assert.ok(await cards.nth(3).evaluate((el) => el.classList.contains('active')), 'the new face is selected');
    assert.match(await text(cards.nth(3)), /60×90 px · added by hand/);
    assert.equal(await page.getByRole('button', { name: 'Add a face' }).getAttribute('aria-pressed'), 'false');
    await page.screenshot({ path: path.join(shots, 'ui-add-face.png') });
    await page.getByRole('button', { name: 'Fit' }).click();
  });

  it('shows the damage mask over the photo, paints with the brush and saves the mask at the photo size', async () => {
    const toggle = page.getByRole('button', { name: 'Damage mask' });
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await page.locator('img[alt="Damage the repair fills in (red)"]').waitFor();
    await waitForCalls('photos:damageMask', 1);
    const stage = page.getByRole('group', { name: 'Before and after' });
    const r = (await stage.boundingBox())!;
    const k = Math.min(r.width / 800, r.height / 600);
    const fit = { left: (r.width - 800 * k) / 2, top: (r.height - 600 * k) / 2 };
    const screen = (u: number, v: number): [number, number] => [r.x + fit.left + u * k, r.y + fit.top + v * k];
    await page.mouse.move(...screen(200, 300));
    await page.mouse.down();
    await page.mouse.move(...screen(400, 300), { steps: 8 });
    await page.mouse.up();
    await page.getByText('Found damage (not saved)').waitFor();
    await page.screenshot({ path: path.join(shots, 'ui-damage-mask.png') });
    await page.getByRole('button', { name: 'Save mask' }).click();
    await waitForCalls('photos:setDamageMask', 1);
    const [saved] = await calls('photos:setDamageMask');
    assert.equal(saved.photoId, 2);
    assert.match(saved.png, /^data:image\/png;base64,/);
    // The saved PNG: 800x600, white on the painted stroke and on the detector's band, black elsewhere.
    const px = await page.evaluate(async (url: string) => {
      const img = new Image();
      img.src = url;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const at = (x: number, y: number) => g.getImageData(x, y, 1, 1).data[0];
      return { w: img.width, h: img.height, stroke: at(300, 300), band: at(400, 55), clear: at(300, 450) };
    }, saved.png);
    assert.deepEqual(px, { w: 800, h: 600, stroke: 255, band: 255, clear: 0 });
    await page.getByText('Your mask').waitFor();
    await toggle.click();
    assert.equal(await page.locator('img[alt="Damage the repair fills in (red)"]').count(), 0);
  });

  it('removes a face added by hand; detected faces offer no Remove', async () => {
    const cards = page.locator('.faces li.card');
    assert.equal(await cards.nth(0).getByRole('button', { name: /^Remove/ }).count(), 0, 'a detected face is skipped, not removed');
    await page.getByRole('button', { name: 'Remove face 4 (added by hand)' }).click();
    await waitForCalls('faces:remove', 1);
    assert.equal((await calls('faces:remove'))[0].faceId, 14);
    for (let i = 0; i < 40 && (await cards.count()) !== 3; i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal(await cards.count(), 3);
    assert.equal(await page.getByRole('button', { name: 'Face 4', exact: true }).count(), 0);
  });

  it('exports before/after as two files and shows the summary', async () => {
    await page.getByRole('button', { name: /^Export/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/side-by-side/).check();
    await dialog.getByLabel(/Write “Before” and “After”/).check();
    // The labels option sits right under the option it belongs to.
    const order = await dialog.locator('fieldset label').evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ''));
    assert.match(order[order.findIndex((t) => /side-by-side/.test(t)) + 1] ?? '', /Write “Before” and “After”/);
    await dialog.getByLabel(/two files/).check();
    assert.equal(await dialog.getByLabel(/Write “Before” and “After”/).count(), 0, 'labels are only offered for side-by-side images');
    await dialog.getByRole('button', { name: 'Export' }).click();
    assert.deepEqual(await calls('export:run'), [{ photoIds: [2], pairs: 'files', labels: false }]);
    await page.getByTestId('export-summary').waitFor();
    assert.match(await text(page.getByTestId('export-summary')), /Wrote 3 files to/);
    await page.screenshot({ path: path.join(shots, 'ui-export.png') });
    await dialog.getByRole('button', { name: 'Open folder' }).click();
    await waitForCalls('export:openFolder', 1);
    await dialog.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim().startsWith('Export')), true, 'focus is back on the Export button');
  });

  it('shows keyboard focus in the gallery and works in dark mode', async () => {
    await page.keyboard.press('Escape');
    const grid = page.getByRole('listbox', { name: 'Photos' });
    await grid.waitFor();
    await page.getByRole('button', { name: 'Add folder…' }).focus();
    // Tab order: Add folder, Restore, Export, Settings, then the gallery's list.
    for (let i = 0; i < 8 && !(await grid.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
    assert.ok(await grid.evaluate((el) => el === document.activeElement), 'the gallery is reachable with Tab');
    await page.keyboard.press('ArrowRight');
    const outline = await page.locator('.tile.focused').evaluate((el) => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth);
    assert.equal(outline, 'solid 3px');
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(27, 26, 24)');
    await page.screenshot({ path: path.join(shots, 'ui-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('describes an unreadable photo truthfully: its reason on the tile and to screen readers, nothing "saved"', async () => {
    const tile = page.locator('[role="option"][aria-label^="broken.jpg,"]');
    const why = await tile.getAttribute('aria-describedby');
    assert.ok(why, 'the reason is given to screen readers');
    assert.equal(await text(page.locator(`#${why}`)), 'not an image');
    assert.ok(await page.locator(`#${why}`).isVisible(), 'and shown, not only on hover');
    await tile.dblclick();
    const viewer = page.getByRole('region', { name: 'Photo viewer' });
    await viewer.waitFor();
    assert.equal(await text(viewer.getByRole('alert')), 'not an image. Nothing was saved.');
    assert.equal(await text(viewer.locator('.faces .empty')), 'This photo could not be read, so no faces were looked for.');
    await viewer.getByRole('button', { name: 'Try again' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('listbox', { name: 'Photos' }).waitFor();
  });

  it('keys and clicks work as in a photo manager: move, Space toggles, Esc clears, open does not select', async () => {
    const grid = page.getByRole('listbox', { name: 'Photos' });
    const selected = async () => grid.getByRole('option', { selected: true }).evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    const gridTop = async () => (await grid.boundingBox())!.y;
    await grid.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    assert.deepEqual(await selected(), [], 'arrows move the focus, they do not select');
    assert.match(await text(page.locator('.bar .hint')), /Space selects/);
    const top = await gridTop();
    await page.keyboard.press(' ');
    assert.deepEqual(await selected(), ['wedding.tif, Out of date']);
    assert.equal(await gridTop(), top, 'the grid does not jump when the selection bar appears');
    assert.doesNotMatch(await text(page.getByRole('button', { name: /^Restore/ })), /^Restore all/, 'the batch button acts on the selection');
    await page.keyboard.press(' ');
    assert.deepEqual(await selected(), [], 'Space toggles');
    await page.keyboard.press(' ');
    await page.keyboard.press('Shift+ArrowRight');
    assert.equal((await selected()).length, 2, 'Shift+arrow extends the selection');
    await page.keyboard.press('Escape');
    assert.deepEqual(await selected(), [], 'Escape clears the selection');
    // Opening a photo (double click) leaves the selection as it was; Escape from a face checkbox leaves the viewer.
    await page.locator('[role="option"][aria-label^="wedding.tif,"]').dblclick();
    const viewer = page.getByRole('region', { name: 'Photo viewer' });
    await viewer.waitFor();
    await page.locator('.faces li.card').nth(0).getByLabel('Restore this face').click();
    await page.keyboard.press('Escape');
    await grid.waitFor();
    assert.equal(await viewer.count(), 0, 'Escape left the viewer');
    assert.deepEqual(await selected(), [], 'opening did not select the photo');
    assert.match(await text(page.getByRole('button', { name: /^Restore/ })), /^Restore all/);
    assert.equal(await grid.evaluate((el) => el === document.activeElement), true, 'focus is back in the gallery');
    assert.equal(await grid.getAttribute('aria-activedescendant'), 'photo-2', 'on the photo that was open');
  });

  it('asks before Delete removes photos, says what happened, and Cancel keeps them', async () => {
    const grid = page.getByRole('listbox', { name: 'Photos' });
    await grid.focus();
    await page.keyboard.press('End');
    await page.keyboard.press(' ');
    await page.keyboard.press('Delete');
    const confirm = page.getByRole('dialog', { name: 'Remove this photo from the library?' });
    await confirm.waitFor();
    assert.match(await text(confirm), /The files stay where they are/);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(await calls('library:remove'), [], 'nothing removed without a yes');
    assert.equal(await grid.evaluate((el) => el === document.activeElement), true, 'focus back on the gallery');
    await page.keyboard.press('Delete');
    await confirm.getByRole('button', { name: 'Remove' }).click();
    assert.deepEqual(await calls('library:remove'), [{ photoIds: [3] }]);
    await page.getByRole('status').filter({ hasText: '1 photo removed from the library. The files were not touched.' }).waitFor();
    await waitForCalls('library:list', 1);
    for (let i = 0; i < 40 && (await grid.getByRole('option').count()) !== 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await grid.getByRole('option').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))), ['grandma-1952.jpg, New', 'wedding.tif, Out of date']);
  });

  it('fits at 1024x700: the viewer toolbar on one row, the photo keeps its room with Settings open, the progress panel without overlap', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    // A long name, as family scans have.
    await page.evaluate(() => {
      (window as any).__photos[1].name = 'wedding-of-aunt-margaret-and-uncle-joseph-at-the-farmhouse-1961.tif';
      (window as any).__emit('library:changed', { photoIds: [2] });
    });
    await page.locator('[role="option"][aria-label^="wedding-of-aunt"]').dblclick();
    const viewer = page.getByRole('region', { name: 'Photo viewer' });
    await viewer.waitFor();
    await page.locator('img[alt="Original photo"]').first().waitFor();
    await page.screenshot({ path: path.join(shots, 'layout-1024-viewer.png') });
    const bar = (await viewer.locator('header.bar').boundingBox())!;
    assert.ok(bar.height < 60, `the viewer toolbar is one row (${bar.height} px tall)`);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.locator('#settings').waitFor();
    await page.screenshot({ path: path.join(shots, 'layout-1024-settings.png') });
    const stage = (await viewer.locator('.stages').boundingBox())!;
    assert.ok(stage.width >= 560, `with Settings open the photo gets ${stage.width} px`);
    // The Before / After tags sit on the photo's corners, not out in the letterbox bars.
    const photoBox = (await page.locator('img[alt="Original photo"]').first().boundingBox())!;
    const tag = (await viewer.locator('.corner.left').boundingBox())!;
    assert.ok(photoBox.y > stage.y + 5, 'the fitted photo leaves bars above and below (the case to check)');
    assert.ok(tag.x >= photoBox.x && tag.y >= photoBox.y && tag.y < photoBox.y + 30, `the Before tag at (${tag.x}, ${tag.y}) on the photo at (${photoBox.x}, ${photoBox.y})`);
    assert.ok((await viewer.locator('header.bar').boundingBox())!.height < 60, 'still one row with Settings open');
    await page.getByRole('button', { name: 'Settings' }).click();
    // The progress panel with a long name: Pause sits beside the bar, the name is readable.
    await page.evaluate(() =>
      (window as any).__emit('jobs:progress', {
        jobId: 9, state: 'running', done: 3, failed: 0, total: 12,
        current: { photoId: 2, name: 'farmhouse-kitchen-christmas-1958-grandma-and-the-cousins.jpg', stage: 'restore', fraction: 0.4 }, etaMs: 600_000,
      }),
    );
    const panel = page.getByTestId('job-panel');
    await panel.waitFor();
    await page.screenshot({ path: path.join(shots, 'layout-1024-progress.png') });
    const bbox = async (l: import('playwright-core').Locator) => (await l.boundingBox())!;
    const progress = await bbox(panel.getByRole('progressbar', { name: 'Overall progress' }));
    const pause = await bbox(panel.getByRole('button', { name: 'Pause' }));
    const overlaps = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
      a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    assert.ok(!overlaps(progress, pause), 'Pause does not cover the progress bar');
    const name = panel.getByText(/farmhouse-kitchen/).first();
    assert.ok(await name.evaluate((el) => el.scrollWidth <= el.clientWidth + 1 || el.getAttribute('title') !== null), 'the name is whole, or whole on hover');
    assert.ok((await bbox(panel)).x + (await bbox(panel)).width <= 1024, 'the panel fits the window');
    await page.evaluate(() => (window as any).__emit('jobs:progress', { jobId: 9, state: 'cancelled', done: 3, failed: 0, total: 12, current: null, etaMs: null }));
    await page.keyboard.press('Escape');
    // The gallery with Settings beside it: the bar stays one row, nothing scrolls sideways.
    const grid = page.getByRole('listbox', { name: 'Photos' });
    await grid.waitFor();
    if ((await page.locator('#settings').count()) === 0) await page.getByRole('button', { name: 'Settings' }).click();
    await page.screenshot({ path: path.join(shots, 'layout-1024-gallery.png') });
    assert.ok((await page.locator('.fill-column > header.bar').boundingBox())!.height <= 56, 'the gallery bar is one row');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 1024 px');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('ran without console errors', () => {
    assert.deepEqual(problems, []);
  });
});
