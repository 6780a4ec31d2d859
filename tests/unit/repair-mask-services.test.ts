// The viewer's damage mask through the real services and SQLite library: the detector's mask until
// the user saves one, which is stored by content, changes the photo's result key and goes to the
// restore; clearing it goes back to the detector.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { DEFAULT_SETTINGS } from '../../src-shared/settings.ts';
import { openLibrary } from '../../src-main/library/db.ts';
import { getPhoto } from '../../src-main/library/photos.ts';
import { photoResultKey } from '../../src-main/library/result-state.ts';
import { ServiceError } from '../../src-main/services/errors.ts';
import { HeirloomServices } from '../../src-main/services/heirloom-services.ts';
import type { InferencePort } from '../../src-main/services/ports.ts';
import { SettingsStore } from '../../src-main/services/settings-store.ts';
import { SqliteLibrary } from '../../src-main/services/sqlite-library.ts';
import { imageHeader, writeDisplayCopy } from '../../src-main/worker/media.ts';
import { ConfiguredPicker } from '../../src-main/services/configured-picker.ts';
import { unavailableExport, unavailableJobs, unavailableModels } from '../helpers/unavailable-ports.ts';

const W = 120;
const H = 80;

/** A mask PNG with a white square at (x, y). */
async function maskPng(x: number, y: number): Promise<Buffer> {
  const m = Buffer.alloc(W * H);
  for (let j = y; j < y + 10; j++) for (let i = x; i < x + 10; i++) m[j * W + i] = 255;
  return sharp(m, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer();
}

test('photos:damageMask and photos:setDamageMask', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'heirloom-mask-'));
  const photo = path.join(root, 'print.jpg');
  await sharp({ create: { width: W, height: H, channels: 3, background: '#a07050' } }).jpeg().toFile(photo);
  const masks = path.join(root, 'data', 'masks');
  const db = openLibrary(path.join(root, 'library.db'));
  const library = new SqliteLibrary(db, new SettingsStore(path.join(root, 'settings.json')), imageHeader, masks);
  const detected: string[] = [];
  const inference: InferencePort = {
    detect: async () => ({ path: photo, width: W, height: H, faces: [] }),
    landmarks: async () => { throw new Error('not used'); },
    alignFace: async () => { throw new Error('not used'); },
    previewFace: async () => { throw new Error('not used'); },
    damageMask: async (file, out) => {
      detected.push(file);
      await sharp(await maskPng(5, 5)).toFile(out);
      return { width: W, height: H, pixels: 100 };
    },
  };
  const services = new HeirloomServices({
    library, jobs: unavailableJobs, models: unavailableModels, exporter: unavailableExport, inference,
    images: { imageHeader, displayCopy: writeDisplayCopy }, picker: new ConfiguredPicker(), cacheDir: path.join(root, 'cache'),
  });
  services.allowDropped([photo]);
  const { photoIds: [id] } = await services.call('library:importDropped', { paths: [photo] });

  const first = await services.call('photos:damageMask', { photoId: id });
  assert.deepEqual([first.edited, first.width, first.height], [false, W, H]);
  assert.ok(first.png.startsWith('data:image/png;base64,'));
  assert.deepEqual(detected, [photo]);
  const keyBefore = photoResultKey(DEFAULT_SETTINGS, getPhoto(db, id)!, null);

  const mine = `data:image/png;base64,${(await maskPng(50, 30)).toString('base64')}`;
  const detail = await services.call('photos:setDamageMask', { photoId: id, png: mine });
  assert.equal(detail.editedMask, true);
  const stored = getPhoto(db, id)!.damageMask!;
  assert.ok(existsSync(stored) && path.dirname(stored) === masks, stored);
  assert.notEqual(photoResultKey(DEFAULT_SETTINGS, getPhoto(db, id)!, null), keyBefore, 'an edited mask makes the result out of date');
  const back = await services.call('photos:damageMask', { photoId: id });
  assert.deepEqual([back.edited, back.png], [true, mine]);
  assert.equal(detected.length, 1, 'the detector does not run for an edited mask');

  // The same mask again is the same file and the same key.
  const key = photoResultKey(DEFAULT_SETTINGS, getPhoto(db, id)!, null);
  await services.call('photos:setDamageMask', { photoId: id, png: mine });
  assert.equal(photoResultKey(DEFAULT_SETTINGS, getPhoto(db, id)!, null), key);
  assert.equal(readdirSync(masks).length, 1);

  await assert.rejects(services.call('photos:setDamageMask', { photoId: id, png: 'data:image/png;base64,aGVsbG8=' }), (e: unknown) => e instanceof ServiceError && e.code === 'invalid-arguments');
  await assert.rejects(services.call('photos:setDamageMask', { photoId: id, png: 'data:text/html;base64,aGVsbG8=' } as never));

  const cleared = await services.call('photos:setDamageMask', { photoId: id, png: null });
  assert.equal(cleared.editedMask, false);
  assert.equal(photoResultKey(DEFAULT_SETTINGS, getPhoto(db, id)!, null), keyBefore);
  assert.equal((await services.call('photos:damageMask', { photoId: id })).edited, false);
});
