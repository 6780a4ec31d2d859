// The damage mask in the app end to end (SQLite library, batch queue, inference worker, tiny PMRF
// model): the detector's mask from the worker, the user's mask saved, the photo out of date, the
// restore using the user's mask (sidecar), and back to the detector.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { closeAlbums, openAlbum, runBatch } from '../helpers/app-album.ts';
import { sharedPath } from '../helpers/shared.ts';
import { drawDamage } from '../helpers/synthetic-damage.ts';

const photos = sharedPath('fixtures', 'photos');
after(closeAlbums);

test('the viewer mask: found by the worker, edited, used by the next restore', { skip: photos.skip }, async () => {
  const { data, info } = await sharp(path.join(photos.path, 'film-still-1.jpg')).raw().toBuffer({ resolveWithObject: true });
  const syn = drawDamage({ width: info.width, height: info.height, depth: 8, data: new Uint8Array(data) }, { seed: 9 });
  const { out, app } = await openAlbum('repair-app', (input) =>
    sharp(syn.damaged.data, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toFile(path.join(input, 'still.png')).then(() => {}),
  );
  const s = app.services;
  const imported = await s.call('library:importDialog', { kind: 'folder' });
  const id = imported!.photoIds[0];
  await s.call('settings:pickOutputFolder', {});

  // The detector's mask, at the photo's size, over the drawn damage.
  const found = await s.call('photos:damageMask', { photoId: id });
  assert.deepEqual([found.edited, found.width, found.height], [false, info.width, info.height]);
  const m = await sharp(Buffer.from(found.png.split(',')[1], 'base64')).extractChannel(0).raw().toBuffer();
  let damage = 0, hit = 0;
  for (let i = 0; i < info.width * info.height; i++) {
    if (syn.alpha[i] >= 0.5) {
      damage++;
      if (m[i] === 255) hit++;
    }
  }
  assert.ok(hit / damage > 0.5, `the found mask covers ${(hit / damage).toFixed(2)} of the drawn damage`);

  // Restored with the detector's mask.
  const first = await runBatch(app, [id]);
  assert.equal(first.state, 'done');
  const sidecar = () => JSON.parse(readFileSync(path.join(out, 'still.restored.jpg.json'), 'utf8')) as { repair?: { pixels: number; mask: string } };
  assert.equal(sidecar().repair?.mask, 'detected');
  assert.ok((sidecar().repair?.pixels ?? 0) > 0);

  // The user erases everything: the photo is out of date, and the next restore repairs nothing.
  const blank = await sharp({ create: { width: info.width, height: info.height, channels: 3, background: '#000' } }).png().toBuffer();
  const detail = await s.call('photos:setDamageMask', { photoId: id, png: `data:image/png;base64,${blank.toString('base64')}` });
  assert.equal(detail.editedMask, true);
  assert.equal((await s.call('library:list', {})).find((p) => p.id === id)?.outOfDate, true);
  assert.equal((await s.call('photos:damageMask', { photoId: id })).edited, true);
  const second = await runBatch(app, [id]);
  assert.equal(second.state, 'done');
  assert.deepEqual(sidecar().repair && { mask: sidecar().repair!.mask, pixels: sidecar().repair!.pixels }, { mask: 'given', pixels: 0 });
  assert.equal((await s.call('library:list', {})).find((p) => p.id === id)?.outOfDate, false);
});
