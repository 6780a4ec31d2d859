// Damaged photos through the app's services and the real inference worker (tiny PMRF test
// model): a JPEG cut short whose face is still there is found, restored and described truthfully;
// an unreadable file stays Failed with its reason, even after a cancelled batch.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { closeAlbums, jobProgress, openAlbum } from '../helpers/app-album.ts';
import { sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
after(closeAlbums);

test('a truncated JPEG is restored and described; an unreadable one stays Failed after a cancel', { skip: photos.skip }, async () => {
  const { out, app } = await openAlbum('damaged', (input) => {
    // The portrait's face sits in its upper part: cut the file at 75% of its bytes.
    const whole = readFileSync(path.join(photos.path, 'portrait-small-1.jpg'));
    writeFileSync(path.join(input, 'cut-short.jpg'), whole.subarray(0, Math.floor(whole.length * 0.75)));
    writeFileSync(path.join(input, 'unreadable.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    copyFileSync(path.join(photos.path, 'group-office-4.jpg'), path.join(input, 'group-office-4.jpg'));
  });
  const s = app.services;
  const imported = await s.call('library:importDialog', { kind: 'folder' });
  assert.ok(imported);
  assert.deepEqual(imported.failed.map((f) => f.name), ['unreadable.jpg']);
  await s.call('settings:pickOutputFolder', {});
  const byName = new Map((await s.call('library:list', {})).map((p) => [p.name, p]));
  const cut = byName.get('cut-short.jpg')!;
  const unreadable = byName.get('unreadable.jpg')!;
  const office = byName.get('group-office-4.jpg')!;

  // Its face is found in what could be read, and the photo says what is missing.
  const [detected] = await s.call('photos:detect', { photoIds: [cut.id] });
  assert.equal(detected.status, 'detected');
  assert.equal(detected.faces.length, 1);
  assert.match(detected.note ?? '', /^The file is incomplete \(it ends early\): the bottom \d+% of the picture could not be read/);

  const done = jobProgress(app, 'the batch', (p) => p.state === 'done');
  await s.call('jobs:start', { photoIds: [cut.id] });
  await done;
  const restored = await s.call('library:get', { photoId: cut.id });
  assert.equal(restored.status, 'restored');
  assert.equal(restored.error, null);
  assert.equal(restored.note, detected.note, 'the viewer still says what was missing');
  const sidecar = JSON.parse(readFileSync(path.join(out, 'cut-short.restored.jpg.json'), 'utf8')) as { input: { damage?: string }; faces: unknown[] };
  assert.equal(sidecar.input.damage, detected.note);
  assert.equal(sidecar.faces.length, 1);

  // A failed photo queued behind another and cancelled goes back to Failed, with its reason.
  assert.equal(unreadable.status, 'failed');
  const inModel = jobProgress(app, 'the model to start', (p) => p.current?.stage === 'restore');
  const job = await s.call('jobs:start', { photoIds: [office.id, unreadable.id] });
  await inModel;
  assert.equal((await s.call('library:get', { photoId: unreadable.id })).status, 'queued');
  const cancelled = jobProgress(app, 'the cancel', (p) => p.state === 'cancelled' && p.current === null);
  await s.call('jobs:cancel', { jobId: job.jobId });
  await cancelled;
  await app.queue.idle();
  const after = await s.call('library:get', { photoId: unreadable.id });
  assert.equal(after.status, 'failed');
  assert.equal(after.error, unreadable.error);
  assert.notEqual((await s.call('library:get', { photoId: office.id })).status, 'failed');
});
