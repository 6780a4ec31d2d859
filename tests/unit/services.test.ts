import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import type { DetectionResult } from '../../src-shared/faces.ts';
import { PathAllowList } from '../../src-main/services/allow-list.ts';
import { ConfiguredPicker } from '../../src-main/services/configured-picker.ts';
import { ServiceError } from '../../src-main/services/errors.ts';
import { HeirloomServices } from '../../src-main/services/heirloom-services.ts';
import { openLibrary } from '../../src-main/library/db.ts';
import { SettingsStore } from '../../src-main/services/settings-store.ts';
import { SqliteLibrary } from '../../src-main/services/sqlite-library.ts';
import type { InferencePort } from '../../src-main/services/ports.ts';
import { imageHeader, writeDisplayCopy } from '../../src-main/worker/media.ts';
import { unavailableExport, unavailableJobs, unavailableModels } from '../helpers/unavailable-ports.ts';

/** A folder of small real JPEGs plus a decoy folder the user never picks. */
async function makeWorld() {
  const root = mkdtempSync(path.join(tmpdir(), 'heirloom-services-'));
  const photos = path.join(root, 'photos');
  const secret = path.join(root, 'photos-private');
  const cache = path.join(root, 'cache');
  mkdirSync(photos);
  mkdirSync(secret);
  for (const [dir, name, colour] of [
    [photos, 'a.jpg', '#a07050'],
    [photos, 'b.jpg', '#506070'],
    [secret, 'c.jpg', '#ffffff'],
  ] as const) {
    await sharp({ create: { width: 900, height: 600, channels: 3, background: colour } }).jpeg().toFile(path.join(dir, name));
  }
  writeFileSync(path.join(photos, 'broken.jpg'), 'not a jpeg');
  return { root, photos, secret, cache };
}

/** Test double of the inference process: records calls; 'b.jpg' fails like an unreadable photo. */
function recordingInference(): InferencePort & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    detect: async (file) => {
      calls.push(path.basename(file));
      if (file.endsWith('b.jpg')) throw new Error('b.jpg: cannot read image');
      const result: DetectionResult = {
        path: file,
        width: 900,
        height: 600,
        faces: [{ box: [100, 100, 80, 100], score: 0.9, points: [[120, 130], [160, 130], [140, 150], [125, 175], [155, 175]] }],
      };
      return result;
    },
    landmarks: async (file, box) => {
      calls.push(`landmarks ${path.basename(file)}`);
      const [x, y, w, h] = box;
      return { width: 900, height: 600, points: [[x + 0.3 * w, y + 0.35 * h], [x + 0.7 * w, y + 0.35 * h], [x + 0.5 * w, y + 0.55 * h], [x + 0.35 * w, y + 0.75 * h], [x + 0.65 * w, y + 0.75 * h]] };
    },
    damageMask: async () => {
      throw new Error('not used');
    },
    alignFace: async () => {
      throw new Error('not used');
    },
    previewFace: async () => {
      throw new Error('not used');
    },
  };
}

/** The real services over the real SQLite library and settings file, in a new temporary data folder. */
function makeServices(cache: string, picker = new ConfiguredPicker()) {
  const data = mkdtempSync(path.join(tmpdir(), 'heirloom-services-data-'));
  const library = new SqliteLibrary(openLibrary(path.join(data, 'library.db')), new SettingsStore(path.join(data, 'settings.json')), imageHeader);
  const inference = recordingInference();
  const services = new HeirloomServices({
    library,
    jobs: unavailableJobs,
    models: unavailableModels,
    exporter: unavailableExport,
    inference,
    // The worker's own image code, run in this process.
    images: { imageHeader, displayCopy: writeDisplayCopy },
    picker,
    cacheDir: cache,
  });
  return { services, library, inference, picker };
}

async function rejectsWith(p: Promise<unknown>, code: ServiceError['code'], message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ServiceError, `expected a ServiceError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('allow-list: inside a picked folder yes; a sibling with the same prefix, a symlink out, a relative path no', async () => {
  const { root, photos, secret } = await makeWorld();
  const list = new PathAllowList();
  list.add(photos);
  assert.equal(list.has(path.join(photos, 'a.jpg')), true);
  assert.equal(list.has(path.join(photos, 'sub', 'new.jpg')), true, 'a file not created yet, inside the folder');
  assert.equal(list.has(photos), true);
  assert.equal(list.has(path.join(secret, 'c.jpg')), false, 'photos-private is not inside photos');
  assert.equal(list.has(path.join(photos, '..', 'photos-private', 'c.jpg')), false);
  assert.equal(list.has('photos/a.jpg'), false);
  assert.equal(list.has(root), false);
  symlinkSync(secret, path.join(photos, 'link'));
  assert.equal(list.has(path.join(photos, 'link', 'c.jpg')), false, 'a symlink inside a picked folder does not open the target');
});

test('dropped paths that the user did not pick or drop are refused, and nothing is imported', async () => {
  const { photos, secret, cache } = await makeWorld();
  const { services } = makeServices(cache);
  await rejectsWith(services.call('library:importDropped', { paths: [path.join(secret, 'c.jpg')] }), 'not-allowed', /c\.jpg/);
  await rejectsWith(services.call('library:importDropped', { paths: ['/etc/passwd'] }), 'not-allowed');
  // One bad path refuses the whole call: no partial import.
  services.allowDropped([path.join(photos, 'a.jpg')]);
  await rejectsWith(services.call('library:importDropped', { paths: [path.join(photos, 'a.jpg'), path.join(secret, 'c.jpg')] }), 'not-allowed');
  assert.deepEqual(await services.call('library:list', {}), []);
  const r = await services.call('library:importDropped', { paths: [path.join(photos, 'a.jpg')] });
  assert.equal(r.added, 1);
});

test('a forged drop cannot widen access: a disk or the home folder is refused, a dropped folder is never a place to write', async () => {
  const { photos, cache } = await makeWorld();
  const { services } = makeServices(cache);
  // What a compromised renderer would send: the whole disk, the home folder, a non-photo file.
  assert.deepEqual(services.allowDropped(['/', homedir(), '/etc/passwd', 'relative/a.jpg']), ['/', homedir(), '/etc/passwd', 'relative/a.jpg']);
  await rejectsWith(services.call('library:importDropped', { paths: ['/'] }), 'not-allowed');
  await rejectsWith(services.call('library:importDropped', { paths: [path.join(homedir(), 'x.jpg')] }), 'not-allowed');
  // A real-looking drop of a photo folder allows importing it, and nothing else: not as the
  // output folder, not as the export folder (those come from the folder dialog only).
  assert.deepEqual(services.allowDropped([photos]), []);
  assert.equal((await services.call('library:importDropped', { paths: [photos] })).added, 3);
  const settings = await services.call('settings:get', {});
  await rejectsWith(services.call('settings:set', { ...settings, outputFolder: photos }), 'not-allowed', /folder dialog/);
  await rejectsWith(services.call('settings:set', { ...settings, outputFolder: path.join(photos, 'out') }), 'not-allowed', /folder dialog/);
});

test('the import dialog allows what it returns; cancelling imports nothing', async () => {
  const { photos, secret, cache } = await makeWorld();
  const { services, picker } = makeServices(cache);
  assert.equal(await services.call('library:importDialog', { kind: 'folder' }), null);
  picker.imports = [photos];
  const events: number[][] = [];
  services.on('library:changed', (e) => events.push(e.photoIds));
  const r = await services.call('library:importDialog', { kind: 'folder' });
  assert.ok(r);
  assert.equal(r.added, 3, 'a.jpg, b.jpg and broken.jpg (recorded as failed)');
  assert.deepEqual(r.failed.map((f) => f.name), ['broken.jpg']);
  assert.deepEqual(events, [r.photoIds]);
  const names = (await services.call('library:list', {})).map((p) => p.name).sort();
  assert.deepEqual(names, ['a.jpg', 'b.jpg', 'broken.jpg']);
  // Files inside the picked folder can now be dropped too; the private folder still cannot.
  assert.equal((await services.call('library:importDropped', { paths: [path.join(photos, 'a.jpg')] })).unchanged, 1);
  await rejectsWith(services.call('library:importDropped', { paths: [secret] }), 'not-allowed');
});

test('the output folder must come from the folder dialog', async () => {
  const { root, cache } = await makeWorld();
  const { services, picker } = makeServices(cache);
  const current = await services.call('settings:get', {});
  await rejectsWith(services.call('settings:set', { ...current, outputFolder: '/etc' }), 'not-allowed');
  const out = path.join(root, 'out');
  mkdirSync(out);
  picker.outputFolderAnswer = out;
  assert.equal((await services.call('settings:pickOutputFolder', {})).outputFolder, out);
  // Re-saving settings with the picked folder (and other changes) is fine.
  const changed = await services.call('settings:set', { restore: { ...current.restore, steps: 7 }, outputFolder: out });
  assert.equal(changed.restore.steps, 7);
  assert.equal(changed.outputFolder, out);
});

test('calls are validated: unknown channel and bad arguments give invalid-arguments', async () => {
  const { cache } = await makeWorld();
  const { services } = makeServices(cache);
  await rejectsWith(services.handle('fs:read', { path: '/etc/passwd' }), 'invalid-arguments', /unknown channel/);
  await rejectsWith(services.handle('__proto__', {}), 'invalid-arguments', /unknown channel/);
  await rejectsWith(services.handle('library:get', { photoId: '1' }), 'invalid-arguments', /photoId/);
  await rejectsWith(services.handle('library:get', { photoId: 42 }), 'not-found');
});

test('media is served by known id only, made in the cache, never next to the photos', async () => {
  const { photos, cache } = await makeWorld();
  const { services, picker } = makeServices(cache);
  picker.imports = [photos];
  const r = await services.call('library:importDialog', { kind: 'files' });
  assert.ok(r);
  const before = readdirSync(photos).sort();
  const [a] = (await services.call('library:list', {})).filter((p) => p.name === 'a.jpg');
  const thumb = await services.media({ kind: 'thumb', photoId: a.id });
  assert.ok(thumb.path.startsWith(cache + path.sep));
  assert.equal(thumb.mime, 'image/jpeg');
  const meta = await sharp(thumb.path).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 320, 213]);
  const original = await services.media({ kind: 'original', photoId: a.id });
  assert.deepEqual([(await sharp(original.path).metadata()).width], [900], 'small photos are not enlarged');
  assert.deepEqual(readdirSync(photos).sort(), before, 'nothing written into the user folder');
  await rejectsWith(services.media({ kind: 'thumb', photoId: 999 }), 'not-found');
  await rejectsWith(services.media({ kind: 'restored', photoId: a.id }), 'not-found');
  await rejectsWith(services.media({ kind: 'face', faceId: 5, variant: 'aligned' }), 'not-found');
});

test('detection failures are recorded on their photo and the others go on', async () => {
  const { photos, cache } = await makeWorld();
  const { services, picker, inference } = makeServices(cache);
  picker.imports = [path.join(photos, 'a.jpg'), path.join(photos, 'b.jpg')];
  const r = await services.call('library:importDialog', { kind: 'files' });
  assert.ok(r);
  const [b, a] = await services.call('photos:detect', { photoIds: [r.photoIds[1], r.photoIds[0]] });
  assert.deepEqual(inference.calls, ['b.jpg', 'a.jpg']);
  assert.equal(b.status, 'failed');
  assert.match(b.error ?? '', /face detection failed: b\.jpg: cannot read image/);
  assert.equal(a.status, 'detected');
  assert.equal(a.faces.length, 1);
  const face = await services.call('faces:update', { faceId: a.faces[0].id, include: false, seed: 77 });
  assert.deepEqual([face.include, face.seed], [false, 77]);
  await rejectsWith(services.call('faces:update', { faceId: 999, include: true }), 'not-found');
  await rejectsWith(services.call('faces:preview', { faceId: a.faces[0].id }), 'no-model');
  picker.outputFolderAnswer = path.join(cache, 'exports');
  await rejectsWith(services.call('export:run', { photoIds: [a.id], pairs: 'none' }), 'invalid-arguments', /not restored yet/);
  await rejectsWith(services.call('jobs:start', { photoIds: [a.id] }), 'invalid-arguments', /output folder/);
  const fresh = makeServices(cache).services;
  await rejectsWith(fresh.call('jobs:start', { photoIds: [a.id] }), 'not-found');
});

/** Services with one imported photo (a.jpg), not yet detected. */
async function oneImportedPhoto(): Promise<{ services: ReturnType<typeof makeServices>['services']; photoId: number }> {
  const { photos, cache } = await makeWorld();
  const { services, picker } = makeServices(cache);
  picker.imports = [path.join(photos, 'a.jpg')];
  const r = await services.call('library:importDialog', { kind: 'files' });
  assert.ok(r);
  return { services, photoId: r.photoIds[0] };
}

test('faces:add validates the box, adds an included manual face, and a re-detect keeps it', async () => {
  const { services, photoId } = await oneImportedPhoto();
  await services.call('photos:detect', { photoIds: [photoId] });
  await rejectsWith(services.call('faces:add', { photoId, box: [10, 10, 8, 40] }), 'invalid-arguments', /at least 12 pixels/);
  await rejectsWith(services.call('faces:add', { photoId, box: [-1, 10, 40, 40] }), 'invalid-arguments', /box/);
  await rejectsWith(services.call('faces:add', { photoId, box: [880, 10, 40, 40] }), 'invalid-arguments', /outside the photo \(900x600\)/);
  await rejectsWith(services.call('faces:add', { photoId: 999, box: [10, 10, 40, 40] }), 'not-found');
  const detail = await services.call('faces:add', { photoId, box: [400, 200, 60, 80] });
  assert.equal(detail.faces.length, 2);
  const added = detail.faces[1];
  assert.deepEqual(added.box, [400, 200, 60, 80]);
  assert.equal(added.manual, true);
  assert.equal(added.include, true);
  assert.notEqual(added.seed, detail.faces[0].seed);
  const again = await services.call('photos:detect', { photoIds: [photoId] });
  assert.equal(again[0].faces.length, 2, 'the detector found its face again and the drawn one stayed');
  assert.deepEqual(again[0].faces.filter((f) => f.manual).map((f) => f.box), [[400, 200, 60, 80]]);
});

test('faces:remove deletes a face added by hand and refuses a detected one', async () => {
  const { services, photoId } = await oneImportedPhoto();
  const [detected] = await services.call('photos:detect', { photoIds: [photoId] });
  const withManual = await services.call('faces:add', { photoId, box: [400, 200, 60, 80] });
  const manual = withManual.faces[1];
  await rejectsWith(services.call('faces:remove', { faceId: detected.faces[0].id }), 'invalid-arguments', /added by hand/);
  await rejectsWith(services.call('faces:remove', { faceId: 999 }), 'not-found');
  const after = await services.call('faces:remove', { faceId: manual.id });
  assert.deepEqual(after.faces.map((f) => f.id), [detected.faces[0].id]);
  assert.equal((await services.call('library:list', {})).find((p) => p.id === photoId)?.faceCount, 1);
  const again = await services.call('photos:detect', { photoIds: [photoId] });
  assert.equal(again[0].faces.length, 1, 'a removed face does not come back on re-detect');
});

test('export:openFolder shows the output folder the user picked, and nothing before one is chosen', async () => {
  const cache = mkdtempSync(path.join(tmpdir(), 'heirloom-services-cache-'));
  const { services, picker } = makeServices(cache);
  await rejectsWith(services.call('export:openFolder', {}), 'invalid-arguments', /No folder chosen yet/);
  const out = mkdtempSync(path.join(tmpdir(), 'heirloom-services-out-'));
  picker.outputFolderAnswer = out;
  await services.call('settings:pickOutputFolder', {});
  await services.call('export:openFolder', {});
  assert.deepEqual(picker.shownFolders, [out]);
});
