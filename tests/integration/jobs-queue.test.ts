import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { JobProgress } from '../../src-shared/ipc.ts';
import { DEFAULT_SETTINGS, type RestoreSettings } from '../../src-shared/settings.ts';
import { openLibrary, type LibraryDb } from '../../src-main/library/db.ts';
import { importPaths } from '../../src-main/library/import.ts';
import { imageHeader } from '../../src-main/worker/media.ts';
import { getPhoto } from '../../src-main/library/photos.ts';
import { BatchQueue } from '../../src-main/jobs/batch-queue.ts';
import { claimItem, createJob, getJob, listItems, recoverInterrupted, reserveOutputs } from '../../src-main/jobs/job-store.ts';
import { chooseOutputNames } from '../../src-main/export/naming.ts';
import { sharedPath } from '../helpers/shared.ts';
import { FakeProcessor } from '../helpers/fake-processor.ts';

const photos = sharedPath('fixtures', 'photos');
const settings: RestoreSettings = { ...DEFAULT_SETTINGS, format: 'png', pairs: 'side-by-side' };

interface Setup {
  dir: string;
  album: string;
  out: string;
  db: LibraryDb;
  ids: number[];
  cleanup(): void;
}

async function setup(extra?: (album: string) => void): Promise<Setup> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-jobs-'));
  const album = path.join(dir, 'album');
  const out = path.join(dir, 'out');
  cpSync(photos.path, album, { recursive: true });
  extra?.(album);
  mkdirSync(out);
  const db = openLibrary(path.join(out, '.heirloom', 'library.db'));
  const r = await importPaths(db, [album], { readHeader: imageHeader });
  return { dir, album, out, db, ids: r.result.photoIds, cleanup: () => (db.close(), rmSync(dir, { recursive: true, force: true })) };
}

function visibleFiles(folder: string): string[] {
  return readdirSync(folder).filter((n) => !n.startsWith('.')).sort();
}

test('a batch restores every photo, writes pairs, sidecars and a summary', { skip: photos.skip }, async () => {
  const s = await setup();
  try {
    const proc = new FakeProcessor();
    const q = new BatchQueue({ db: s.db, processor: proc, faces: 'detect' });
    const events: JobProgress[] = [];
    q.onProgress((p) => events.push(p));
    const t0 = performance.now();
    const started = q.start(s.ids, settings, s.out);
    assert.equal(started.total, 8);
    await q.idle();
    const job = getJob(s.db, started.jobId)!;
    assert.equal(job.state, 'done');
    const items = listItems(s.db, job.id);
    assert.deepEqual(items.map((i) => [i.state, i.attempts]), items.map(() => ['done', 1]));
    const files = visibleFiles(s.out);
    assert.equal(files.filter((f) => f.endsWith('.restored.png')).length, 8);
    assert.equal(files.filter((f) => f.endsWith('.before-after.png')).length, 8);
    assert.equal(files.filter((f) => f.endsWith('.restored.png.json')).length, 8);
    assert.ok(files.includes('heirloom-summary.json') && files.includes('heirloom-summary.csv'));
    assert.ok(!readdirSync(s.out).some((n) => n.startsWith('.heirloom-tmp-')), 'no temporary file left');
    const meta = await sharp(path.join(s.out, 'scan-two-children-2.restored.png')).metadata();
    assert.deepEqual([meta.width, meta.height], [1297, 1920]);
    const sidecar = JSON.parse(readFileSync(path.join(s.out, 'film-still-1.restored.png.json'), 'utf8'));
    const film = s.ids.map((id) => getPhoto(s.db, id)!).find((p) => p.path.endsWith('film-still-1.jpg'))!;
    assert.equal(sidecar.input.sha256, film.hash);
    assert.equal(sidecar.input.name, 'film-still-1.jpg');
    assert.deepEqual(sidecar.settings, settings);
    assert.equal(sidecar.model.sha256, await proc.modelSha256());
    assert.deepEqual(sidecar.output.pairs, ['film-still-1.before-after.png']);
    const summary = JSON.parse(readFileSync(path.join(s.out, 'heirloom-summary.json'), 'utf8'));
    assert.deepEqual(summary.counts, { restored: 8, skipped: 0, failed: 0, 'not-run': 0 });
    // Progress: the contract's shape, monotonic, ending done with nothing current.
    const last = events.at(-1)!;
    assert.deepEqual([last.state, last.done, last.failed, last.total, last.current], ['done', 8, 0, 8, null]);
    for (let i = 1; i < events.length; i++) assert.ok(events[i].done >= events[i - 1].done);
    // About 10 a second: the time-based budget plus the start and end events.
    const elapsed = performance.now() - t0;
    assert.ok(events.length <= elapsed / 100 + 4, `${events.length} events in ${elapsed.toFixed(0)} ms`);
    assert.ok(events.some((e) => e.etaMs !== null && e.state === 'running'), 'an ETA once a photo is done');

    // Rerunning the same batch redoes nothing.
    const mtimes = files.map((f) => statSync(path.join(s.out, f)).mtimeMs);
    proc.events.length = 0;
    const again = q.start(s.ids, settings, s.out);
    await q.idle();
    assert.equal(proc.events.length, 0, 'no stage ran');
    assert.deepEqual(listItems(s.db, again.jobId).map((i) => i.state), new Array(8).fill('skipped'));
    assert.deepEqual(visibleFiles(s.out).filter((f) => !f.startsWith('heirloom-summary')), files.filter((f) => !f.startsWith('heirloom-summary')));
    files.forEach((f, i) => {
      if (!f.startsWith('heirloom-summary')) assert.equal(statSync(path.join(s.out, f)).mtimeMs, mtimes[i], f);
    });

    // Other settings make new outputs next to the old ones, never over them.
    const other = q.start(s.ids.slice(0, 1), { ...settings, seed: 9 }, s.out);
    await q.idle();
    assert.equal(getJob(s.db, other.jobId)!.state, 'done');
    assert.ok(existsSync(path.join(s.out, 'boy-railing-1 (2).restored.png')));

    // Another model (checkpoint hash) is not the same result either.
    const q2 = new BatchQueue({ db: s.db, processor: new FakeProcessor('0'.repeat(64)) });
    const third = q2.start(s.ids.slice(0, 1), settings, s.out);
    await q2.idle();
    assert.deepEqual(listItems(s.db, third.jobId).map((i) => i.state), ['done']);
  } finally {
    s.cleanup();
  }
});

test('a corrupt photo and a photo deleted mid-batch fail alone', { skip: photos.skip }, async () => {
  const s = await setup((album) => {
    // Header intact, pixel data cut: only decoding finds out.
    const jpg = readFileSync(path.join(album, 'scan-two-children-2.jpg'));
    writeFileSync(path.join(album, 'damaged.jpg'), jpg.subarray(0, Math.floor(jpg.length / 3)));
  });
  try {
    const proc = new FakeProcessor();
    const q = new BatchQueue({ db: s.db, processor: proc, prefetch: 0 });
    proc.onRestore = (p) => {
      if (p.endsWith('boy-railing-1.jpg')) rmSync(path.join(s.album, 'film-still-1.jpg'));
    };
    const { jobId } = q.start(s.ids, { ...settings, pairs: 'none' }, s.out);
    await q.idle();
    assert.equal(getJob(s.db, jobId)!.state, 'done');
    const items = listItems(s.db, jobId);
    const byName = new Map(items.map((i) => [path.basename(getPhoto(s.db, i.photoId)!.path), i]));
    assert.equal(byName.get('damaged.jpg')!.state, 'failed');
    assert.ok((byName.get('damaged.jpg')!.error ?? '').length > 0);
    assert.equal(byName.get('film-still-1.jpg')!.state, 'failed');
    assert.match(byName.get('film-still-1.jpg')!.error ?? '', /missing|no such file|not found/i);
    assert.equal(items.filter((i) => i.state === 'done').length, 7);
    assert.equal(getPhoto(s.db, byName.get('damaged.jpg')!.photoId)!.status, 'failed');
    const summary = JSON.parse(readFileSync(path.join(s.out, 'heirloom-summary.json'), 'utf8'));
    assert.deepEqual(summary.counts, { restored: 7, skipped: 0, failed: 2, 'not-run': 0 });
  } finally {
    s.cleanup();
  }
});

test('the next photo is prepared while the current one is restored', { skip: photos.skip }, async () => {
  const s = await setup();
  try {
    const proc = new FakeProcessor();
    proc.delays = { prepare: 40, restore: 60, finish: 0 };
    const q = new BatchQueue({ db: s.db, processor: proc, prefetch: 1 });
    q.start(s.ids, { ...settings, pairs: 'none' }, s.out);
    await q.idle();
    const ev = proc.events;
    const at = (photo: string, stage: string, edge: string) => ev.find((e) => e.photo === photo && e.stage === stage && e.edge === edge)!.at;
    const order = [...new Set(ev.filter((e) => e.stage === 'restore').map((e) => e.photo))];
    assert.equal(order.length, 8);
    let overlapped = 0;
    for (let i = 0; i + 1 < order.length; i++) {
      if (at(order[i + 1], 'prepare', 'start') < at(order[i], 'restore', 'end')) overlapped++;
      // The model stage runs one photo at a time.
      assert.ok(at(order[i + 1], 'restore', 'start') >= at(order[i], 'restore', 'end'));
    }
    assert.equal(overlapped, 7);
  } finally {
    s.cleanup();
  }
});

test('pause stops after the photo in progress; resume finishes; cancel stops between photos', { skip: photos.skip }, async () => {
  const s = await setup();
  try {
    const proc = new FakeProcessor();
    proc.delays.restore = 20;
    const q = new BatchQueue({ db: s.db, processor: proc, prefetch: 1 });
    let jobId = 0;
    let restores = 0;
    proc.onRestore = () => {
      if (++restores === 3) q.pause(jobId);
    };
    jobId = q.start(s.ids, { ...settings, pairs: 'none' }, s.out).jobId;
    await q.idle();
    assert.equal(getJob(s.db, jobId)!.state, 'paused');
    const paused = q.progress(jobId);
    assert.deepEqual([paused.done, paused.total], [3, 8]);
    assert.deepEqual(listItems(s.db, jobId).map((i) => i.state), ['done', 'done', 'done', 'queued', 'queued', 'queued', 'queued', 'queued']);

    q.resume(jobId);
    await q.idle();
    assert.equal(getJob(s.db, jobId)!.state, 'done');
    assert.ok(listItems(s.db, jobId).every((i) => i.state === 'done' && i.attempts === 1));

    // Cancel during the second photo's restore: it is abandoned, nothing half-written remains.
    const cancelSettings = { ...settings, pairs: 'none' as const, seed: 5 };
    restores = 0;
    proc.onRestore = () => {
      if (++restores === 2) q.cancel(jobId);
    };
    jobId = q.start(s.ids, cancelSettings, s.out).jobId;
    await q.idle();
    assert.equal(getJob(s.db, jobId)!.state, 'cancelled');
    const states = listItems(s.db, jobId).map((i) => i.state);
    assert.deepEqual(states, ['done', 'cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled']);
    // Cancelled photos are no longer shown as queued (they were restored by the earlier job).
    assert.ok(s.ids.every((id) => getPhoto(s.db, id)!.status === 'restored'));
    assert.ok(!readdirSync(s.out).some((n) => n.startsWith('.heirloom-tmp-')));
    assert.equal(visibleFiles(s.out).filter((f) => f.includes(' (2).restored.png') && !f.endsWith('.json')).length, 1);
  } finally {
    s.cleanup();
  }
});

test('after a crash the job resumes: the interrupted photo reuses its names, stale temps go', { skip: photos.skip }, async () => {
  const s = await setup();
  try {
    const jobSettings = { ...settings, pairs: 'none' as const };
    const jobId = createJob(s.db, jobSettings, s.out, s.ids);
    // What a crash leaves: job 'running', an item 'running' with reserved names and a finished
    // image already renamed, plus a temporary file from a process that no longer exists.
    s.db.prepare("UPDATE jobs SET state = 'running' WHERE id = ?").run(jobId);
    const first = listItems(s.db, jobId)[0];
    claimItem(s.db, first.id);
    const names = chooseOutputNames(s.out, getPhoto(s.db, first.photoId)!.path, 'png', 'none');
    reserveOutputs(s.db, first.id, names);
    writeFileSync(names.image, 'partial product of the killed run');
    const stale = path.join(s.out, '.heirloom-tmp-999999999-0123abcd.x.restored.png');
    writeFileSync(stale, 'half');

    assert.deepEqual(recoverInterrupted(s.db), [jobId]);
    const q = new BatchQueue({ db: s.db, processor: new FakeProcessor() });
    q.enqueue(jobId);
    await q.idle();
    assert.equal(getJob(s.db, jobId)!.state, 'done');
    assert.ok(!existsSync(stale), 'stale temporary file removed');
    const items = listItems(s.db, jobId);
    assert.equal(items[0].attempts, 2);
    assert.ok(items.slice(1).every((i) => i.attempts === 1));
    const images = visibleFiles(s.out).filter((f) => f.endsWith('.restored.png'));
    assert.equal(images.length, 8, 'no (2) duplicate for the interrupted photo');
    await sharp(names.image).stats(); // decodes: the partial file was replaced
  } finally {
    s.cleanup();
  }
});

test('a vanished output folder fails the job with a clear error', { skip: photos.skip }, async () => {
  const s = await setup();
  try {
    const proc = new FakeProcessor();
    const q = new BatchQueue({ db: s.db, processor: proc });
    const gone = path.join(s.dir, 'gone');
    mkdirSync(gone);
    let jobId = 0;
    proc.onRestore = () => rmSync(gone, { recursive: true, force: true });
    jobId = q.start(s.ids, { ...settings, pairs: 'none' }, gone).jobId;
    await q.idle();
    const job = getJob(s.db, jobId)!;
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /does not exist/);
    // The photos were not blamed for it.
    assert.equal(listItems(s.db, jobId).filter((i) => i.state === 'failed').length, 0);
  } finally {
    s.cleanup();
  }
});
