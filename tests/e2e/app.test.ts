/**
 * End to end in a real browser: the built renderer (test mode) served by scripts/dev-server.ts
 * with the REAL services behind the WebSocket transport, driven by Playwright in Chromium.
 * Imports the fixture photos, checks thumbnails and face boxes, restores one photo with the tiny
 * PMRF test model, moves the before/after slider, exports a pair and finds the files on disk.
 * Screenshots go to test-results/ (gitignored).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { repoRoot, sharedPath } from '../helpers/shared.ts';

const CHROMIUM = '/usr/bin/chromium';
const photos = sharedPath('fixtures', 'photos');
const skip = photos.skip || (existsSync(CHROMIUM) ? false : `needs Chromium at ${CHROMIUM} (apt-get install chromium)`);
if (skip) console.log(`# skipping browser e2e: ${skip}`);

const buildDir = path.join(repoRoot, '.cache', 'renderer-test');
const shots = path.join(repoRoot, 'test-results');
const tinyModel = path.join(repoRoot, 'tests', 'fixtures', 'pmrf', 'tiny');

/** Polls `check` until it returns a value other than undefined/false, or fails with `what`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

function buildRenderer(): void {
  const vite = path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--mode', 'test', '--logLevel', 'warn'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
}

interface DevServer {
  url: string;
  proc: ChildProcess;
  log: () => string;
}

function startDevServer(args: string[]): Promise<DevServer> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev-server.ts', '--port', '0', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev server did not start:\n${out}`)), 60_000);
    const onData = (): void => {
      const m = /heirloom dev server: (http:\/\/127\.0\.0\.1:\d+\/?)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, proc, log: () => out });
      }
    };
    proc.stdout?.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dev server exited with ${code}:\n${out}`));
    });
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('Heirloom in a browser (real services over the test transport)', { skip, timeout: 600_000 }, () => {
  let tmp = '';
  let outDir = '';
  let server: DevServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    buildRenderer();
    mkdirSync(shots, { recursive: true });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'heirloom-e2e-'));
    outDir = path.join(tmp, 'out');
    mkdirSync(outDir);
    server = await startDevServer([
      '--data', path.join(tmp, 'data'),
      '--static', buildDir,
      '--pick', photos.path,
      '--pick-output', outDir,
      '--model', path.join(tinyModel, 'checkpoint.safetensors'),
      '--arch', path.join(tinyModel, 'meta.json'),
    ]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(server.url);
  });

  after(async () => {
    await browser?.close();
    server?.proc.kill('SIGTERM');
    if (server?.proc.exitCode === null) await new Promise((r) => server!.proc.once('exit', r));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('starts with the model installed and an empty library', async () => {
    await page.screenshot({ path: path.join(shots, 'e2e-start.png') });
    await page.getByRole('heading', { name: 'Bring your old photos back to life' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByText('restoration model is not installed').count(), 0);
  });

  it('imports the fixture folder and shows a thumbnail and face count per photo', async () => {
    const expected = readdirSync(photos.path).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort();
    await page.getByRole('button', { name: 'Add folder…' }).first().click();
    const options = page.getByRole('listbox', { name: 'Photos' }).getByRole('option');
    await waitFor(`${expected.length} tiles`, async () => (await options.count()) === expected.length);
    // Every thumbnail decodes to a real image.
    await waitFor('thumbnails', async () => {
      const widths = await page.locator('.tile img').evaluateAll((els) => els.map((e) => (e as unknown as { naturalWidth: number }).naturalWidth));
      return widths.length === expected.length && widths.every((w) => w > 0);
    });
    // Detection runs right after import; each photo ends with at least its counted faces.
    await waitFor('face detection', async () => {
      const labels = await options.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      return labels.every((l) => /, \d+ faces?$/.test(l)) ? labels : undefined;
    }, 180_000);
    for (const name of expected) {
      const label = await page.locator(`[role="option"][aria-label^="${name},"]`).getAttribute('aria-label');
      const found = Number(/(\d+) faces?$/.exec(label ?? '')?.[1] ?? -1);
      const counted = Number(/-(\d+)\.\w+$/.exec(name)?.[1]);
      assert.ok(found >= counted, `${name}: ${found} faces found, ${counted} counted`);
    }
    await page.screenshot({ path: path.join(shots, 'e2e-gallery.png') });
  });

  it('moves through the gallery with the keyboard and opens a photo with Enter', async () => {
    const grid = page.getByRole('listbox', { name: 'Photos' });
    await grid.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    const second = await page.locator('[role="option"]').nth(1).getAttribute('aria-label');
    assert.equal(await grid.getAttribute('aria-activedescendant'), await page.locator('[role="option"]').nth(1).getAttribute('id'));
    await page.keyboard.press('Enter');
    const title = page.locator('.viewer h2');
    await title.waitFor();
    assert.ok(second?.startsWith(`${await title.textContent()},`), `viewer shows ${await title.textContent()}, expected ${second}`);
    await page.keyboard.press('Escape');
    await grid.waitFor();
  });

  it('opens a photo in the viewer with its face boxes', async () => {
    await page.locator('[role="option"][aria-label^="scan-family-3.png,"]').dblclick();
    await page.getByRole('region', { name: 'Photo viewer' }).waitFor().catch(() => undefined);
    const boxes = page.locator('.stage button.face');
    await waitFor('face boxes', async () => (await boxes.count()) >= 3);
    // Boxes sit inside the stage and have a real size.
    const stage = await page.locator('.stage').first().boundingBox();
    const box = await boxes.first().boundingBox();
    assert.ok(stage && box && box.width > 8 && box.height > 8, 'face box has a size');
    assert.ok(box!.x >= stage!.x && box!.x + box!.width <= stage!.x + stage!.width + 1, 'face box inside the stage');
    // The face list shows one card per box, each with an include toggle.
    assert.equal(await page.locator('.faces li.card').count(), await boxes.count());
    // The preview and the face crops are made on demand: the screenshot waits for them.
    await waitFor('the photo and face crops loaded', async () => {
      const imgs = await page.locator('.stage img, .faces .thumb img').evaluateAll((els) =>
        els.map((e) => (e as unknown as { complete: boolean; naturalWidth: number }))
          .map((i) => i.complete && i.naturalWidth > 0),
      );
      return imgs.length > 0 && imgs.every(Boolean);
    }, 60_000);
    await page.screenshot({ path: path.join(shots, 'e2e-viewer.png') });
  });

  it('restores the photo with the tiny model and shows the batch progress', async () => {
    await page.getByRole('button', { name: 'Restore photo' }).click();
    const panel = page.getByTestId('job-panel');
    await panel.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, 'e2e-progress.png') });
    await waitFor('the restore to finish', async () => (await panel.getByRole('heading').textContent())?.trim() === 'Finished', 300_000);
    const counts = await panel.locator('.count').textContent();
    assert.match(counts ?? '', /^1 of 1 photo\b/);
    // Restored with what it has now: nothing to do until a face or a setting changes.
    await page.getByRole('button', { name: 'Up to date' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole('button', { name: 'Up to date' }).isDisabled(), true);
  });

  it('compares before and after with the slider, by keyboard and by dragging', async () => {
    await waitFor('the restored image', async () => {
      const w = await page.locator('img[alt="Restored photo"]').evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth);
      return w > 0;
    });
    const range = page.getByRole('slider', { name: 'Before and after divider' });
    const stage = (await page.locator('.stage').first().boundingBox())!;
    const photo = (await page.locator('img[alt="Original photo"]').boundingBox())!;
    const percent = async (): Promise<number> => Number(await range.inputValue());
    /** Where the "after" layer starts, in page pixels; it must sit under the divider line. */
    const clipX = async (): Promise<number> => {
      const style = (await page.locator('.layer').nth(1).getAttribute('style')) ?? '';
      const px = Number(/inset\(0(?:px)? 0(?:px)? 0(?:px)? ([\d.]+)px\)/.exec(style)?.[1]);
      const line = (await page.locator('.divider').boundingBox())!;
      assert.ok(Math.abs(stage.x + px - (line.x + line.width / 2)) < 1, `after layer clipped at the divider (${style})`);
      return stage.x + px;
    };
    assert.equal(await percent(), 50);
    assert.ok(Math.abs((await clipX()) - (photo.x + photo.width / 2)) < 1, 'divider starts in the middle of the photo');
    await range.focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await percent(), 48);
    // Drag the knob to a quarter of the photo.
    const knob = (await page.locator('.divider .knob').boundingBox())!;
    await page.mouse.move(knob.x + knob.width / 2, knob.y + knob.height / 2);
    await page.mouse.down();
    await page.mouse.move(photo.x + photo.width * 0.25, knob.y + knob.height / 2, { steps: 5 });
    await page.mouse.up();
    assert.ok(Math.abs((await percent()) - 25) <= 1, `divider at ${await percent()}% after dragging`);
    assert.ok(Math.abs((await clipX()) - (photo.x + photo.width * 0.25)) < 2);
    // A press anywhere on the photo moves the divider there.
    await page.mouse.click(photo.x + photo.width * 0.7, photo.y + photo.height * 0.6);
    assert.ok(Math.abs((await percent()) - 70) <= 1, `divider at ${await percent()}% after a click`);
    await range.focus();
    await page.keyboard.press('End');
    assert.equal(await percent(), 100);
    assert.ok(Math.abs((await clipX()) - (photo.x + photo.width)) < 1, 'at 100% the whole photo shows "before"');
    await page.keyboard.press('Home');
    await page.keyboard.press('PageUp');
    assert.equal(await percent(), 10);
    await page.screenshot({ path: path.join(shots, 'e2e-slider.png') });
    // Side by side keeps both images and zooms them together.
    await page.getByRole('button', { name: 'Side by side' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    const transforms = await page.locator('.photo').evaluateAll((els) => els.map((e) => e.getAttribute('style') ?? ''));
    assert.equal(transforms.length, 2);
    assert.match(transforms[0]!, /scale\(1\.5\)/);
    assert.equal(transforms[0], transforms[1]);
    // Dragging one side pans both.
    const left = (await page.locator('.stage').first().boundingBox())!;
    await page.mouse.move(left.x + left.width / 2, left.y + left.height / 2);
    await page.mouse.down();
    await page.mouse.move(left.x + left.width / 2 - 80, left.y + left.height / 2 - 60, { steps: 4 });
    await page.mouse.up();
    const panned = await page.locator('.photo').evaluateAll((els) => els.map((e) => e.getAttribute('style') ?? ''));
    assert.notEqual(panned[0], transforms[0], 'the drag panned the photo');
    assert.equal(panned[0], panned[1]);
    await page.screenshot({ path: path.join(shots, 'e2e-side-by-side.png') });
    await page.getByRole('button', { name: 'Fit' }).click();
  });

  it('exports the restored photo with a side-by-side pair and writes the files', async () => {
    await page.getByRole('button', { name: /^Export/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/side-by-side before\/after image/).check();
    await dialog.getByLabel(/Write “Before” and “After”/).check();
    await dialog.getByRole('button', { name: 'Export' }).click();
    const summary = page.getByTestId('export-summary');
    await summary.waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(shots, 'e2e-export.png') });
    const listed = await summary.locator('li').allTextContents();
    assert.ok(listed.length >= 2, `export lists ${listed.join(', ')}`);
    const onDisk = filesUnder(outDir).map((f) => path.basename(f));
    for (const name of listed) assert.ok(onDisk.includes(name), `${name} exported to ${outDir} (found ${onDisk.join(', ')})`);
    const images = filesUnder(outDir).filter((f) => /\.(jpe?g|png|tiff?|webp)$/i.test(f));
    assert.ok(images.length >= 2, `restored photo and pair on disk: ${onDisk.join(', ')}`);
    for (const f of images) assert.ok(statSync(f).size > 1000, `${f} has content`);
    // The side-by-side pair holds the original and the restored photo next to each other.
    const pair = images.find((f) => /before-after/.test(path.basename(f)));
    const restored = images.find((f) => /\.restored\./.test(path.basename(f)));
    assert.ok(pair && restored, `pair and restored file among ${onDisk.join(', ')}`);
    const [pm, rm] = await Promise.all([sharp(pair).metadata(), sharp(restored).metadata()]);
    assert.ok(pm.width! >= 2 * rm.width! && pm.height! >= rm.height!, `pair ${pm.width}x${pm.height} vs restored ${rm.width}x${rm.height}`);
    // Labels asked for: the top-left corner of the "before" half is darkened by the tag (the restored photo's corner is not).
    const cornerMean = async (f: string) => {
      const px = await sharp(f).extract({ left: 0, top: 0, width: 40, height: 8 }).greyscale().raw().toBuffer();
      return px.reduce((a, v) => a + v, 0) / px.length;
    };
    const [inPair, plain] = await Promise.all([cornerMean(pair), cornerMean(restored)]);
    assert.ok(inPair < 0.75 * plain, `a dark label tag in the pair's corner (mean ${inPair.toFixed(0)} vs ${plain.toFixed(0)} without)`);
    await dialog.getByRole('button', { name: 'Done' }).click();
  });

  it('compares the faithful and realistic result of one face, re-rolls it and skips another', async () => {
    const cards = page.locator('.faces li.card');
    const first = cards.nth(0);
    await first.getByRole('button', { name: 'Compare faithful / realistic' }).click();
    const sizes = await waitFor('both face previews', async () => {
      const imgs = first.locator('.compare img');
      if ((await imgs.count()) !== 2) return undefined;
      const w = await imgs.evaluateAll((els) => els.map((e) => (e as unknown as { naturalWidth: number }).naturalWidth));
      return w.every((x) => x > 0) ? w : undefined;
    }, 120_000);
    assert.equal(sizes.length, 2);
    // "Use this one": the faithful result for this face, kept with the face.
    const useFaithful = first.getByRole('button', { name: 'Use the faithful result for face 1' });
    await useFaithful.click();
    await waitFor('the choice to be saved', async () => (await useFaithful.getAttribute('aria-pressed')) === 'true');
    assert.equal(await first.getByLabel('In the saved photo').inputValue(), 'faithful');
    const seedBefore = await first.locator('.seed').textContent();
    await first.getByRole('button', { name: 'New variation' }).click();
    await waitFor('a new seed', async () => (await first.locator('.seed').textContent()) !== seedBefore);
    // Skipping a face is saved by the main process: it survives a reload.
    await cards.nth(1).getByLabel('Restore this face').uncheck();
    await page.reload();
    await page.locator('[role="option"][aria-label^="scan-family-3.png,"]').dblclick();
    await page.locator('.faces li.card').nth(1).waitFor();
    assert.equal(await page.locator('.faces li.card').nth(1).getByLabel('Restore this face').isChecked(), false);
    assert.equal(await page.locator('.faces li.card').nth(0).locator('.seed').textContent(), await first.locator('.seed').textContent());
    // The saved photo no longer shows these decisions: the viewer says so, and restoring again applies them.
    const viewer = page.getByRole('region', { name: 'Photo viewer' });
    await waitFor('the out-of-date badge', async () => (await viewer.locator('.badge').textContent())?.trim() === 'Out of date');
    await viewer.getByRole('button', { name: 'Restore again' }).click();
    await waitFor('the result to be current again', async () => (await viewer.locator('.badge').textContent())?.trim() === 'Restored', 300_000);
    await viewer.getByRole('button', { name: 'Up to date' }).waitFor();
    // The saved photo's sidecar says what was decided: face 1 faithful, face 2 skipped.
    const sidecar = JSON.parse(readFileSync(path.join(outDir, 'scan-family-3.restored.jpg.json'), 'utf8')) as { faces: { include: boolean; fidelity: number | null }[] };
    assert.deepEqual(sidecar.faces.slice(0, 2).map((f) => [f.include, f.fidelity]), [[true, 0], [false, null]]);
    await page.keyboard.press('Escape');
    await waitFor('the gallery badge', async () => (await page.locator('[role="option"][aria-label^="scan-family-3.png,"]').getAttribute('aria-label')) === 'scan-family-3.png, Restored');
  });

  it('pauses, survives a reload, resumes and cancels a batch of all photos', async () => {
    await page.getByRole('listbox', { name: 'Photos' }).waitFor();
    const panel = page.getByTestId('job-panel');
    if (await panel.getByRole('button', { name: 'Close' }).count()) await panel.getByRole('button', { name: 'Close' }).click();
    // Photos were opened (Enter, double click) and browsed by keyboard: none of that selected any.
    assert.equal(await page.getByRole('button', { name: 'Clear selection' }).count(), 0, 'opening a photo does not select it');
    // Budget: the window stays responsive while a batch runs (no main-thread task over 100 ms).
    await page.evaluate(`(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(Math.round(e.duration)); }).observe({ type: 'longtask' });
    })()`);
    // The restored photo is current: the batch leaves it alone.
    await page.getByRole('button', { name: 'Restore all (7)' }).click();
    // Let it run a moment: progress moves on, photo by photo.
    await waitFor('the first photo of the batch', async () => /^[1-9]\d* of 7/.test((await panel.locator('.count').textContent()) ?? ''), 120_000);
    await panel.getByRole('button', { name: 'Pause' }).click();
    const heading = panel.getByRole('heading');
    // The photo in progress finishes first ("Pausing after this photo"), then nothing more runs.
    await waitFor('the batch to pause', async () => (await heading.textContent())?.trim() === 'Paused', 120_000);
    const done = await panel.locator('.count').textContent();
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await panel.locator('.count').textContent(), done, 'a paused batch does not go on');
    await page.screenshot({ path: path.join(shots, 'e2e-paused.png') });
    const longTasks = (await page.evaluate('window.__longTasks')) as number[];
    console.log(`# main-thread tasks over 50 ms while the batch ran: ${JSON.stringify(longTasks)}`);
    assert.ok(longTasks.every((ms) => ms < 100), `UI frames over 100 ms during the batch: ${longTasks.join(', ')}`);
    // The batch belongs to the main process: a reloaded window finds it where it was.
    await page.reload();
    await waitFor('the paused batch after a reload', async () => (await panel.getByRole('heading').textContent())?.trim() === 'Paused');
    await panel.getByRole('button', { name: 'Resume' }).click();
    await waitFor('the batch to run again', async () => ['Restoring', 'Starting'].includes((await heading.textContent())?.trim() ?? ''));
    await panel.getByRole('button', { name: 'Cancel' }).click();
    await waitFor('the batch to stop', async () => (await heading.textContent())?.trim() === 'Cancelled', 60_000);
    const after = await panel.locator('.count').textContent();
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await panel.locator('.count').textContent(), after, 'a cancelled batch does not go on');
    const total = Number(/of (\d+)/.exec(after ?? '')?.[1]);
    assert.equal(total, 7);
  });

  it('ran without console errors or CSP violations', () => {
    // Media that does not exist yet (e.g. a restored image before the restore) is a normal 404.
    const real = problems.filter((p) => !/404 \(Not Found\)/.test(p));
    assert.deepEqual(real, []);
  });
});
