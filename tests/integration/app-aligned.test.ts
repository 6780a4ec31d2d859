// The app's per-photo "Restore the whole photo as one face" switch, through the real services,
// SQLite library, queue and inference worker (tiny PMRF test model): offered for a face that
// already sits on the template, restored whole when chosen, out of date when changed back.
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { closeAlbums, openAlbum, runBatch } from '../helpers/app-album.ts';
import { sharedPath } from '../helpers/shared.ts';

const aligned = sharedPath('fixtures', 'aligned');
const photos = sharedPath('fixtures', 'photos');
const skip = aligned.skip || photos.skip;
after(closeAlbums);

/** Mean absolute difference (0..255) between two images' top-left 4x4 corners (where the feathered paste of a face-by-face restore has weight ~0): far from any face box. */
async function cornerDiff(a: string, b: string): Promise<number> {
  const corner = (f: string) => sharp(f).extract({ left: 0, top: 0, width: 4, height: 4 }).removeAlpha().raw().toBuffer();
  const [x, y] = await Promise.all([corner(a), corner(b)]);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i] - y[i]);
  return sum / x.length;
}

test('a photo that is one aligned face is offered, restored whole when chosen, and out of date when changed back', { skip }, async () => {
  // A face that fills its frame (the detector needs the padded pass), and an ordinary photo.
  const { input, app } = await openAlbum('aligned', (dir) => {
    copyFileSync(path.join(aligned.path, 'demo-00000113.png'), path.join(dir, 'demo.png'));
    copyFileSync(path.join(photos.path, 'portrait-small-1.jpg'), path.join(dir, 'portrait.jpg'));
  });
  const s = app.services;

  const imported = await s.call('library:importDialog', { kind: 'folder' });
  assert.ok(imported);
  await s.call('settings:pickOutputFolder', {});
  const settings = await s.call('settings:get', {});
  // PNG: the untouched corner of a face-by-face restore is then exactly the original.
  await s.call('settings:set', { ...settings, restore: { ...settings.restore, format: 'png' } });
  const detected = await s.call('photos:detect', { photoIds: imported.photoIds });
  const demo = detected.find((p) => p.name === 'demo.png')!;
  const portrait = detected.find((p) => p.name === 'portrait.jpg')!;
  assert.equal(demo.looksAligned, true, 'the aligned demo face is offered as aligned input');
  assert.equal(portrait.looksAligned, false);
  assert.equal(demo.aligned, null);
  const facesBefore = demo.faces.map((f) => f.id);
  assert.equal(facesBefore.length, 1);

  const chosen = await s.call('photos:setAligned', { photoId: demo.id, aligned: 'always' });
  assert.equal(chosen.aligned, 'always');
  assert.equal((await runBatch(app, [demo.id])).done, 1);
  const whole = (await s.media({ kind: 'restored', photoId: demo.id })).path;
  const original = path.join(input, 'demo.png');
  const wholeDiff = await cornerDiff(original, whole);
  assert.ok(wholeDiff > 10, `restored whole: the corner is new pixels (mean |diff| ${wholeDiff.toFixed(2)})`);
  const after1 = await s.call('library:get', { photoId: demo.id });
  assert.deepEqual(after1.faces.map((f) => f.id), facesBefore, 'the stored face stays for when the switch is turned off');
  assert.equal(after1.outOfDate, false);

  const back = await s.call('photos:setAligned', { photoId: demo.id, aligned: null });
  assert.equal(back.outOfDate, true, 'changing the switch makes the result out of date');
  assert.equal((await runBatch(app, [demo.id])).done, 1);
  const byFace = (await s.media({ kind: 'restored', photoId: demo.id })).path;
  const faceDiff = await cornerDiff(original, byFace);
  assert.ok(faceDiff < 2, `restored face by face: the corner is the original (mean |diff| ${faceDiff.toFixed(2)})`);
  assert.equal((await s.call('library:get', { photoId: demo.id })).outOfDate, false);
});
