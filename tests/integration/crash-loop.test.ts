/**
 * A photo that takes the process down is not retried forever (issue 14, item 2): the real
 * inference process is killed (SIGKILL, what the kernel's out-of-memory killer does) each time
 * it works on one photo; the queue tries that photo once more, then marks it failed with a clear
 * reason, and every other photo, including the one prepared ahead in the killed process, is
 * restored. The CLI's own process killed twice on one photo: the next run marks it failed and
 * goes on; `batch status` never calls a dead batch "running".
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { DEFAULT_SETTINGS, type RestoreSettings } from '../../src-shared/settings.ts';
import { BatchQueue } from '../../src-main/jobs/batch-queue.ts';
import { CRASHED_MESSAGE, getJob, listItems } from '../../src-main/jobs/job-store.ts';
import { openLibrary } from '../../src-main/library/db.ts';
import { importPaths } from '../../src-main/library/import.ts';
import { imageHeader } from '../../src-main/worker/media.ts';
import { INTEL_MAC_MESSAGE } from '../../src-main/worker/native-check.ts';
import { getPhoto } from '../../src-main/library/photos.ts';
import { InferenceWorker } from '../../src-main/worker-client/client.ts';
import { forkWorker } from '../../src-main/worker-client/spawn-node.ts';
import { WorkerPhotoProcessor } from '../../src-main/worker-client/worker-processor.ts';
import { projectFixtures, repoRoot } from '../helpers/shared.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'heirloom-crash-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const tiny = path.join(projectFixtures, 'pmrf', 'tiny');

async function flat(file: string, width: number, height: number): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: { r: 150, g: 120, b: 90 } } }).png({ compressionLevel: 1 }).toFile(file);
}

test('the inference process killed twice on one photo: that photo fails with the reason, the others are restored', { timeout: 180_000 }, async () => {
  const album = path.join(tmp, 'album');
  const out = path.join(tmp, 'out');
  mkdirSync(album);
  mkdirSync(out);
  // Sorted first, and big enough at 2x that its last step takes a moment to kill it in.
  await flat(path.join(album, 'a-poison.png'), 3000, 3000);
  await flat(path.join(album, 'b-good.png'), 200, 150);
  await flat(path.join(album, 'c-good.png'), 150, 200);
  const db = openLibrary(path.join(out, '.heirloom', 'library.db'));
  const worker = new InferenceWorker(forkWorker());
  try {
    const ids = (await importPaths(db, [album], { readHeader: imageHeader })).result.photoIds;
    const engine = { checkpoint: path.join(tiny, 'checkpoint.safetensors'), arch: path.join(tiny, 'meta.json'), faceSize: 64, device: 'cpu' as const };
    const processor = new WorkerPhotoProcessor(worker, { engine: async () => engine });
    const queue = new BatchQueue({ db, processor, faces: 'detect', progressIntervalMs: 0 });
    let kills = 0;
    let killedPid: number | undefined;
    queue.onProgress((p) => {
      // Killed while writing the poison photo (its pasting/scaling step), every time it gets there.
      const pid = worker.pid;
      if (p.current?.name === 'a-poison.png' && p.current.stage === 'paste' && pid !== undefined && pid !== killedPid) {
        killedPid = pid;
        kills++;
        process.kill(pid, 'SIGKILL');
      }
    });
    const settings: RestoreSettings = { ...DEFAULT_SETTINGS, scale: 2, steps: 1 };
    const { jobId } = queue.start(ids, settings, out);
    await queue.idle();
    assert.equal(kills, 2, 'tried once more after the first crash, not again after the second');
    assert.equal(getJob(db, jobId)!.state, 'done');
    const items = new Map(listItems(db, jobId).map((i) => [path.basename(getPhoto(db, i.photoId)!.path), i]));
    assert.deepEqual([items.get('a-poison.png')!.state, items.get('a-poison.png')!.crashes], ['failed', 2]);
    assert.equal(items.get('a-poison.png')!.error, CRASHED_MESSAGE);
    assert.equal(getPhoto(db, items.get('a-poison.png')!.photoId)!.status, 'failed');
    for (const name of ['b-good.png', 'c-good.png']) assert.deepEqual([items.get(name)!.state, items.get(name)!.crashes], ['done', 0], name);
  } finally {
    worker.dispose();
    db.close();
  }
});

interface Item {
  name: string;
  state: string;
  crashes: number;
  error: string | null;
}

function itemsOf(out: string): Item[] {
  const db = new Database(path.join(out, '.heirloom', 'library.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT p.path AS path, i.state AS state, i.crashes AS crashes, i.error AS error FROM job_items i JOIN photos p ON p.id = i.photo_id ORDER BY i.position')
      .all()
      .map((r) => {
        const row = r as { path: string; state: string; crashes: number; error: string | null };
        return { name: path.basename(row.path), state: row.state, crashes: row.crashes, error: row.error };
      });
  } finally {
    db.close();
  }
}

const CLI = [path.join(repoRoot, 'bin', 'heirloom.mjs')];
const MODEL = ['--model', path.join(tiny, 'checkpoint.safetensors'), '--arch', path.join(tiny, 'meta.json'), '--face-size', '64', '--steps', '1'];

/** Runs `heirloom restore` and SIGKILLs it as soon as the database says `name` is in progress (after `crashes` crashes). */
async function restoreKilledOn(args: string[], out: string, name: string, crashes: number): Promise<void> {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: repoRoot, env: { ...process.env, HEIRLOOM_HOME: path.join(tmp, 'home') }, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    await new Promise((r) => setTimeout(r, 50));
    let running = false;
    try {
      running = itemsOf(out).some((i) => i.name === name && i.state === 'running' && i.crashes === crashes);
    } catch {
      // the database is not there yet
    }
    if (running) {
      child.kill('SIGKILL');
      break;
    }
  }
  assert.equal(await exited, 'SIGKILL', `${name} was never in progress`);
}

test('the CLI killed twice on one photo: the third run marks it failed and restores the rest; status says interrupted', { timeout: 180_000 }, async () => {
  const album = path.join(tmp, 'cli-album');
  const out = path.join(tmp, 'cli-out');
  mkdirSync(album);
  await flat(path.join(album, 'a-poison.png'), 3000, 3000);
  await flat(path.join(album, 'b-good.png'), 200, 150);
  const args = ['restore', album, '-o', out, '--scale', '2', ...MODEL];
  await restoreKilledOn(args, out, 'a-poison.png', 0);
  const status = spawnSync(process.execPath, [...CLI, 'batch', 'status', '-o', out, '--json'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(status.status, 0, status.stderr);
  assert.deepEqual((JSON.parse(status.stdout) as { state: string }[]).map((j) => j.state), ['interrupted'], 'not "running": its process is dead');
  const text = spawnSync(process.execPath, [...CLI, 'batch', 'status', '-o', out], { cwd: repoRoot, encoding: 'utf8' });
  assert.match(text.stdout, /^batch 1: interrupted .*\n.*\n {2}its process is no longer running: run the same heirloom restore command again to resume$/m);
  await restoreKilledOn(args, out, 'a-poison.png', 1);
  assert.equal(itemsOf(out).find((i) => i.name === 'a-poison.png')!.crashes, 1);
  const third = spawnSync(process.execPath, [...CLI, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, HEIRLOOM_HOME: path.join(tmp, 'home') } });
  assert.equal(third.status, 1, third.stderr);
  assert.match(third.stderr, /^b-good\.png -> b-good\.restored\.jpg/m);
  const items = itemsOf(out);
  assert.deepEqual(items.map((i) => [i.name, i.state, i.crashes]), [['a-poison.png', 'failed', 2], ['b-good.png', 'done', 0]]);
  assert.equal(items[0].error, CRASHED_MESSAGE);
  // A fourth run does not take the process down on it again.
  const fourth = spawnSync(process.execPath, [...CLI, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, HEIRLOOM_HOME: path.join(tmp, 'home') } });
  assert.equal(itemsOf(out)[0].crashes, 2, fourth.stderr);
});

test('a worker that cannot run on this computer stops the batch with its reason; no photo is failed for it', { timeout: 120_000 }, async () => {
  const album = path.join(tmp, 'album-unavailable');
  const out = path.join(tmp, 'out-unavailable');
  mkdirSync(album);
  mkdirSync(out);
  await flat(path.join(album, 'a.png'), 200, 150);
  await flat(path.join(album, 'b.png'), 150, 200);
  const db = openLibrary(path.join(out, '.heirloom', 'library.db'));
  const intelMac = pathToFileURL(path.join(repoRoot, 'tests', 'helpers', 'as-intel-mac.mjs')).href;
  const worker = new InferenceWorker(forkWorker({ execArgv: ['--import', 'tsx', '--import', intelMac] }));
  try {
    const ids = (await importPaths(db, [album], { readHeader: imageHeader })).result.photoIds;
    const engine = { checkpoint: path.join(tiny, 'checkpoint.safetensors'), arch: path.join(tiny, 'meta.json'), faceSize: 64, device: 'cpu' as const };
    const queue = new BatchQueue({ db, processor: new WorkerPhotoProcessor(worker, { engine: async () => engine }), faces: 'detect', progressIntervalMs: 0 });
    const { jobId } = queue.start(ids, { ...DEFAULT_SETTINGS, steps: 1 }, out);
    await queue.idle();
    const job = getJob(db, jobId)!;
    assert.deepEqual([job.state, job.error], ['failed', INTEL_MAC_MESSAGE]);
    // As when the disk is full: the job's photos are left for a rerun, none marked failed.
    const items = listItems(db, jobId);
    assert.deepEqual(items.map((i) => i.state), ['cancelled', 'cancelled']);
    assert.deepEqual(items.map((i) => getPhoto(db, i.photoId)!.status).filter((st) => st === 'failed'), []);
    assert.equal(worker.starts, 1, 'one try, not one per photo');
  } finally {
    worker.dispose();
    db.close();
  }
});
