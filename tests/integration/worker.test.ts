import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { InferenceWorker, WorkerCallError, WorkerCancelledError, WorkerUnavailableError } from '../../src-main/worker-client/client.ts';
import { workerMedia } from '../../src-main/worker-client/worker-media.ts';
import { forkWorker, MEDIA_WORKER_ENTRY_TS } from '../../src-main/worker-client/spawn-node.ts';
import { INTEL_MAC_MESSAGE } from '../../src-main/worker/native-check.ts';
import { repoRoot, sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
const workers: InferenceWorker[] = [];
after(() => workers.forEach((w) => w.dispose()));

function newWorker(graceMs = 500): InferenceWorker {
  const w = new InferenceWorker(forkWorker(), { graceMs });
  workers.push(w);
  return w;
}

test('a real worker detects the faces of a fixture photo, with progress', { skip: photos.skip }, async () => {
  const w = newWorker();
  const stages: string[] = [];
  const r = await w.call('detect', { path: path.join(photos.path, 'group-office-4.jpg') }, { onProgress: (p) => stages.push(p.stage) });
  assert.deepEqual([r.width, r.height], [491, 310]);
  assert.ok(r.faces.filter((f) => f.skipped === undefined).length >= 4, `found ${r.faces.length} faces`);
  for (const f of r.faces) assert.ok(f.box[0] >= 0 && f.box[0] < 491 && f.score > 0.3);
  assert.ok(stages.includes('decode') && stages.includes('detect'), stages.join(','));
  assert.equal(w.starts, 1);
});

test('killing the worker mid-job rejects that call cleanly and the next call restarts it', { skip: photos.skip }, async () => {
  const w = newWorker();
  const first = (await w.call('ping', {})).pid;
  const job = w.call('detect', { path: path.join(photos.path, 'scan-two-children-2.jpg') });
  // Let it get going (decoding/loading the detector), then hard-cancel.
  await new Promise((r) => setTimeout(r, 150));
  w.kill();
  await assert.rejects(job, (err: unknown) => err instanceof WorkerCancelledError && err.message === 'cancelled');
  const r = await w.call('detect', { path: path.join(photos.path, 'portrait-small-1.jpg') });
  assert.ok(r.faces.length >= 1);
  assert.equal(w.starts, 2);
  assert.notEqual((await w.call('ping', {})).pid, first);
});

test('an abort signal cancels a queued call at once and a running one within the grace period', { skip: photos.skip }, async () => {
  const w = newWorker(300);
  await w.call('ping', {});
  const ac = new AbortController();
  const running = w.call('detect', { path: path.join(photos.path, 'scan-family-3.png') }, { signal: ac.signal });
  const queuedAc = new AbortController();
  const queued = w.call('detect', { path: path.join(photos.path, 'diptych-2.jpg') }, { signal: queuedAc.signal });
  queuedAc.abort();
  await assert.rejects(queued, WorkerCancelledError);
  const t0 = Date.now();
  ac.abort();
  // Either the soft cancel is seen between stages or the process is killed after the grace.
  await assert.rejects(running, WorkerCancelledError);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  await assert.rejects(w.call('ping', {}, { signal: AbortSignal.abort() }), WorkerCancelledError);
  assert.equal((await w.call('ping', {})).methods.includes('detect'), true);
});

test('a crash is reported as such; bad input is a readable error that keeps the worker alive', { skip: photos.skip }, async () => {
  const w = newWorker();
  const { pid } = await w.call('ping', {});
  await assert.rejects(w.call('detect', { path: 'relative/photo.jpg' }), (err: unknown) => {
    assert.ok(err instanceof WorkerCallError);
    assert.equal(err.kind, 'user');
    assert.match(err.message, /path: must be an absolute path/);
    return true;
  });
  await assert.rejects(w.call('detect', { path: path.join(photos.path, 'missing.jpg') }), /missing\.jpg: the file is not there any more/);
  assert.equal((await w.call('ping', {})).pid, pid, 'still the same process');
  const job = w.call('detect', { path: path.join(photos.path, 'scan-two-children-2.jpg') });
  process.kill(pid, 'SIGKILL');
  await assert.rejects(job, (err: unknown) => err instanceof WorkerCallError && err.kind === 'crashed' && /stopped unexpectedly/.test(err.message));
  assert.notEqual((await w.call('ping', {})).pid, pid);
});

test('a worker whose native libraries cannot run here says why in words, and every call gets that reason', async () => {
  const intelMac = path.join(repoRoot, 'tests', 'helpers', 'as-intel-mac.mjs');
  const w = new InferenceWorker(forkWorker({ execArgv: ['--import', 'tsx', '--import', pathToFileURL(intelMac).href] }));
  workers.push(w);
  const icon = path.join(repoRoot, 'resources', 'icon.png');
  // An import's header read stops the import with that message rather than failing each photo.
  const calls = [w.call('ping', {}), w.call('detect', { path: icon }), workerMedia(w).imageHeader(icon)];
  for (const call of calls) {
    await assert.rejects(call, (err: unknown) => err instanceof WorkerUnavailableError && err.kind === 'user' && err.message === INTEL_MAC_MESSAGE);
  }
  // The process was stopped, not left waiting.
  assert.equal(w.pid, undefined);
});

test('the image chores: a photo header (upright size), a display copy, and a clear error for a file that is no image', { skip: photos.skip }, async () => {
  const w = newWorker();
  const photo = path.join(photos.path, 'group-office-4.jpg');
  assert.deepEqual(await w.call('imageHeader', { path: photo }), { width: 491, height: 310 });
  const dir = mkdtempSync(path.join(tmpdir(), 'heirloom-media-'));
  try {
    const out = path.join(dir, 'thumb.jpg');
    await w.call('displayCopy', { source: photo, out, size: 128, quality: 80 });
    const m = await sharp(out).metadata();
    assert.deepEqual([m.format, m.width, m.height], ['jpeg', 128, 81]);
    const notImage = path.join(dir, 'notes.jpg');
    writeFileSync(notImage, 'not a photo');
    const bad = await w.call('imageHeader', { path: notImage });
    assert.ok('error' in bad && /^this is not a photo format Heirloom can read .*: open it in an image program/.test(bad.error), JSON.stringify(bad));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the media process does the image chores only, and works where the model cannot (sharp alone is loaded)', { skip: photos.skip }, async () => {
  const intelMac = path.join(repoRoot, 'tests', 'helpers', 'as-intel-mac.mjs');
  const w = new InferenceWorker(forkWorker({ entry: MEDIA_WORKER_ENTRY_TS, execArgv: ['--import', 'tsx', '--import', pathToFileURL(intelMac).href] }));
  workers.push(w);
  assert.deepEqual((await w.call('ping', {})).methods, ['ping', 'imageHeader', 'displayCopy']);
  const photo = path.join(photos.path, 'group-office-4.jpg');
  assert.deepEqual(await w.call('imageHeader', { path: photo }), { width: 491, height: 310 });
  await assert.rejects(w.call('detect', { path: photo }), /this process does not do detect/);
});
