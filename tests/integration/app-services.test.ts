// The app's services end to end in Node (SQLite library, batch queue, inference worker, tiny PMRF
// test model), as the Electron main process and the dev server run them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfiguredPicker } from '../../src-main/services/configured-picker.ts';
import { createAppServices, type AppServices } from '../../src-main/services/create.ts';
import { jobProgress, tinyEngine } from '../helpers/app-album.ts';
import { sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
const open: AppServices[] = [];
after(async () => {
  for (const a of open) await a.close().catch(() => {});
});

function world() {
  const root = mkdtempSync(path.join(tmpdir(), 'heirloom-app-'));
  const input = path.join(root, 'input');
  const out = path.join(root, 'out');
  mkdirSync(input);
  mkdirSync(out);
  for (const f of ['group-office-4.jpg', 'portrait-small-1.jpg']) copyFileSync(path.join(photos.path, f), path.join(input, f));
  writeFileSync(path.join(input, 'damaged.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  const picker = new ConfiguredPicker();
  picker.imports = [input];
  picker.outputFolderAnswer = out;
  // Models and built graphs of this run stay in its folder.
  process.env.HEIRLOOM_HOME = path.join(root, 'data');
  return { root, input, out, picker, data: path.join(root, 'data') };
}

async function start(w: ReturnType<typeof world>): Promise<AppServices> {
  const app = await createAppServices({ dataDir: w.data, picker: w.picker, engine: tinyEngine });
  open.push(app);
  return app;
}

test('a batch restores every readable photo, reports the broken one, and exports pairs', { skip: photos.skip }, async () => {
  const w = world();
  const app = await start(w);
  const s = app.services;
  const imported = await s.call('library:importDialog', { kind: 'folder' });
  assert.ok(imported);
  assert.deepEqual(imported.failed.map((f) => f.name), ['damaged.jpg']);
  await s.call('settings:pickOutputFolder', {});
  // The app's Faithful <-> Realistic slider and advanced sampler: restored with them, recorded in the sidecar.
  const current = await s.call('settings:get', {});
  await s.call('settings:set', { ...current, restore: { ...current.restore, fidelity: 0.6, sampler: 'multistep2' } });
  const status = await s.call('models:status', {});
  assert.equal(status.installed, true);
  assert.ok(status.devices.includes('cpu'));

  const done = jobProgress(app, 'the batch to finish', (p) => p.state === 'done' || p.state === 'failed');
  const started = await s.call('jobs:start', { photoIds: imported.photoIds });
  assert.equal(started.total, 3);
  const end = await done;
  assert.deepEqual([end.state, end.done, end.failed], ['done', 2, 1]);
  const list = await s.call('library:list', {});
  assert.deepEqual(list.map((p) => `${p.name}:${p.status}`).sort(), ['damaged.jpg:failed', 'group-office-4.jpg:restored', 'portrait-small-1.jpg:restored']);
  const office = list.find((p) => p.name === 'group-office-4.jpg')!;
  assert.ok(office.faceCount >= 4);
  const restored = await s.media({ kind: 'restored', photoId: office.id });
  assert.ok(restored.path.startsWith(w.data));

  const exported = await s.call('export:run', { photoIds: [office.id], pairs: 'files' });
  assert.deepEqual(exported.failed, []);
  assert.deepEqual(exported.written.map((f) => path.basename(f)), [
    'group-office-4.restored.jpg',
    'group-office-4.before.jpg',
    'group-office-4.after.jpg',
    'heirloom-export.json',
    'heirloom-export.csv',
  ]);
  for (const f of exported.written) assert.ok(existsSync(f), f);
  // The export folder is the batch's: only the pair (and the export's record) was added next to the restored file.
  assert.deepEqual(exported.written.map((f) => path.dirname(f)), [w.out, w.out, w.out, w.out, w.out]);
  assert.ok(existsSync(path.join(w.out, 'heirloom-summary.json')), "the batch's own summary is kept");
  assert.deepEqual(readdirSync(w.input).sort(), ['damaged.jpg', 'group-office-4.jpg', 'portrait-small-1.jpg'], 'nothing written next to the originals');

  // Another folder: the restored file is copied with its sidecar and a side-by-side pair.
  const share = path.join(w.root, 'share');
  mkdirSync(share);
  w.picker.outputFolderAnswer = share;
  await s.call('settings:pickOutputFolder', {});
  const shared = await s.call('export:run', { photoIds: [office.id], pairs: 'side-by-side' });
  assert.deepEqual(shared.failed, []);
  assert.deepEqual(
    shared.written,
    ['group-office-4.restored.jpg', 'group-office-4.before-after.jpg', 'group-office-4.restored.jpg.json', 'heirloom-export.json', 'heirloom-export.csv'].map((f) => path.join(share, f)),
  );
  assert.deepEqual(readdirSync(share).sort(), ['group-office-4.before-after.jpg', 'group-office-4.restored.jpg', 'group-office-4.restored.jpg.json', 'heirloom-export.csv', 'heirloom-export.json']);
  const sidecar = JSON.parse(readFileSync(path.join(share, 'group-office-4.restored.jpg.json'), 'utf8')) as {
    output: unknown;
    input: { name: string };
    model: { sha256: string | null; description: string };
    settings: { fidelity: number; sampler: string };
  };
  assert.deepEqual([sidecar.settings.fidelity, sidecar.settings.sampler], [0.6, 'multistep2']);
  // Provenance: the hash of the checkpoint the worker really ran, not a null or a guess.
  const tinySha = createHash('sha256').update(readFileSync(tinyEngine.model)).digest('hex');
  assert.equal(sidecar.model.sha256, tinySha);
  assert.match(sidecar.model.description, new RegExp(`sha256:${tinySha.slice(0, 12)}`));
  assert.deepEqual(sidecar.output, { image: 'group-office-4.restored.jpg', pairs: ['group-office-4.before-after.jpg'] });
  assert.equal(sidecar.input.name, 'group-office-4.jpg');
});

test('cancel stops the photo in the model quickly, leaves no output, and a new batch works', { skip: photos.skip }, async (t) => {
  const w = world();
  const app = await start(w);
  const s = app.services;
  const imported = await s.call('library:importDialog', { kind: 'folder' });
  assert.ok(imported);
  await s.call('settings:pickOutputFolder', {});
  const office = (await s.call('library:list', {})).find((p) => p.name === 'group-office-4.jpg')!;
  const inModel = jobProgress(app, 'the model to start', (p) => p.current?.stage === 'restore');
  const job = await s.call('jobs:start', { photoIds: [office.id] });
  await inModel;
  const t0 = Date.now();
  const cancelled = jobProgress(app, 'the cancel', (p) => p.state === 'cancelled' && p.current === null);
  await s.call('jobs:cancel', { jobId: job.jobId });
  await cancelled;
  await app.queue.idle();
  const ms = Date.now() - t0;
  t.diagnostic(`cancel took ${ms} ms`);
  assert.ok(ms < 5000, `cancel took ${ms} ms`);
  assert.deepEqual(readdirSync(w.out).filter((f) => !f.startsWith('heirloom-summary')), [], 'no output, not even a temporary file');
  assert.notEqual((await s.call('library:get', { photoId: office.id })).status, 'failed');

  const finished = jobProgress(app, 'the second batch', (p) => p.state === 'done');
  await s.call('jobs:start', { photoIds: [office.id] });
  await finished;
  assert.ok(existsSync(path.join(w.out, 'group-office-4.restored.jpg')));
});

test('quitting mid-batch loses only the photo in progress: the next start resumes the batch', { skip: photos.skip }, async () => {
  const w = world();
  let app = await start(w);
  const imported = await app.services.call('library:importDialog', { kind: 'folder' });
  assert.ok(imported);
  await app.services.call('settings:pickOutputFolder', {});
  const ids = (await app.services.call('library:list', {})).filter((p) => p.status !== 'failed').map((p) => p.id);
  const inModel = jobProgress(app, 'the model to start', (p) => p.current?.stage === 'restore');
  const job = await app.services.call('jobs:start', { photoIds: ids });
  await inModel;
  await app.close();
  open.splice(open.indexOf(app), 1);

  app = await start(w);
  const resumed = await jobProgress(app, 'the resumed batch', (p) => p.state === 'done', 120_000);
  assert.equal(resumed.jobId, job.jobId);
  assert.deepEqual([resumed.done, resumed.failed, resumed.total], [2, 0, 2]);
  const restored = readdirSync(w.out).filter((f) => f.endsWith('.restored.jpg')).sort();
  assert.deepEqual(restored, ['group-office-4.restored.jpg', 'portrait-small-1.restored.jpg']);
});
