// Adding a face by hand through the app's services with the real inference worker: the landmark
// net places the 5 alignment points inside the drawn box, the face is stored like a detected one,
// and a re-detect keeps it.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { closeAlbums, openAlbum } from '../helpers/app-album.ts';
import { sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
after(closeAlbums);

test('faces:add finds the 5 points of a drawn box with the landmark net; re-detect keeps the face', { skip: photos.skip }, async () => {
  const { app } = await openAlbum('add-face', (input) => {
    copyFileSync(path.join(photos.path, 'portrait-small-1.jpg'), path.join(input, 'portrait-small-1.jpg'));
  });
  const s = app.services;
  const imported = await s.call('library:importDialog', { kind: 'folder' });
  assert.ok(imported);
  const photoId = imported.photoIds[0];

  // The detector's face tells where the real face is; the user draws a slightly looser box around it.
  const [detected] = await s.call('photos:detect', { photoIds: [photoId] });
  assert.equal(detected.faces.length, 1);
  const ref = detected.faces[0];
  const [bx, by, bw, bh] = ref.box;
  const box: [number, number, number, number] = [Math.round(bx - 0.05 * bw), Math.round(by - 0.05 * bh), Math.round(bw * 1.1), Math.round(bh * 1.1)];
  await assert.rejects(s.call('faces:add', { photoId, box: [200, 200, 40, 40] }), /outside the photo \(225x225\)/);

  const detail = await s.call('faces:add', { photoId, box });
  assert.equal(detail.faces.length, 2);
  const added = detail.faces[1];
  assert.deepEqual(added.box, box);
  assert.equal(added.manual, true);
  assert.equal(added.include, true);
  assert.equal(added.points.length, 5);
  for (const [x, y] of added.points) {
    assert.ok(x >= box[0] && x <= box[0] + box[2] && y >= box[1] && y <= box[1] + box[3], `point ${x},${y} inside ${box.join(',')}`);
  }
  // Same face, same net: the points agree with the detector's within a few percent of the face.
  added.points.forEach(([x, y], i) => {
    const d = Math.hypot(x - ref.points[i][0], y - ref.points[i][1]);
    assert.ok(d < 0.08 * bw, `point ${i} is ${d.toFixed(1)} px from the detector's (face ${bw.toFixed(0)} px wide)`);
  });

  // The worker aligns it like any detected face.
  const aligned = await s.media({ kind: 'face', faceId: added.id, variant: 'aligned' });
  const meta = await sharp(aligned.path).metadata();
  assert.deepEqual([meta.width, meta.height], [128, 128]);

  const [again] = await s.call('photos:detect', { photoIds: [photoId] });
  assert.equal(again.faces.length, 2);
  assert.deepEqual(again.faces.filter((f) => f.manual).map((f) => [f.box, f.seed]), [[box, added.seed]]);

  // Removing it deletes the row and its cached crop; the next detection does not bring it back.
  const manual = again.faces.find((f) => f.manual)!;
  const crop = await s.media({ kind: 'face', faceId: manual.id, variant: 'aligned' });
  const after = await s.call('faces:remove', { faceId: manual.id });
  assert.equal(after.faces.length, 1);
  assert.equal(existsSync(crop.path), false, 'the removed face\'s crop left the cache');
  await assert.rejects(s.media({ kind: 'face', faceId: manual.id, variant: 'aligned' }), /no face/);
  const [third] = await s.call('photos:detect', { photoIds: [photoId] });
  assert.equal(third.faces.length, 1);
});
