import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedPath } from '../helpers/shared.ts';
import { openLibrary } from '../../src-main/library/db.ts';
import { importPaths } from '../../src-main/library/import.ts';
import { imageHeader } from '../../src-main/worker/media.ts';
import { getPhoto, listPhotos, replaceFaces } from '../../src-main/library/photos.ts';

const photos = sharedPath('fixtures', 'photos');

test('import finds new files, skips unchanged ones and notices changed content', { skip: photos.skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-import-'));
  try {
    const src = path.join(dir, 'album');
    cpSync(photos.path, src, { recursive: true });
    writeFileSync(path.join(src, 'notes.txt'), 'not a photo');
    writeFileSync(path.join(src, '.hidden.jpg'), 'skipped: hidden');
    const db = openLibrary(path.join(dir, 'library.db'));

    const first = await importPaths(db, [src], { readHeader: imageHeader });
    assert.equal(first.result.added, 8);
    assert.equal(first.result.unchanged, 0);
    assert.deepEqual(first.result.failed, []);
    const list = listPhotos(db);
    assert.equal(list.length, 8);
    const scan = list.find((p) => p.name === 'scan-two-children-2.jpg');
    assert.deepEqual([scan?.width, scan?.height, scan?.status], [1297, 1920, 'new']);

    // Nothing changed: everything is skipped without hashing differences.
    const second = await importPaths(db, [src], { readHeader: imageHeader });
    assert.equal(second.result.added, 0);
    assert.equal(second.result.unchanged, 8);
    assert.deepEqual(new Set(second.result.photoIds), new Set(first.result.photoIds));

    // A touch (new mtime, same bytes) is not a change; a content change is, and resets faces.
    const touched = path.join(src, 'boy-railing-1.jpg');
    const later = new Date(Date.now() + 60_000);
    utimesSync(touched, later, later);
    const changed = path.join(src, 'film-still-1.jpg');
    const changedId = list.find((p) => p.name === 'film-still-1.jpg')!.id;
    replaceFaces(db, changedId, [{ box: [1, 2, 30, 30], score: 0.9, points: [[1, 1], [2, 1], [1.5, 2], [1, 3], [2, 3]] }], 0);
    const before = getPhoto(db, changedId)!;
    assert.equal(before.status, 'detected');
    appendFileSync(changed, Buffer.from([0, 0, 0, 0]));
    const third = await importPaths(db, [src], { readHeader: imageHeader });
    assert.deepEqual(third.changedIds, [changedId]);
    assert.deepEqual(third.newIds, []);
    assert.equal(third.result.unchanged, 7);
    const after = getPhoto(db, changedId)!;
    assert.notEqual(after.hash, before.hash);
    assert.equal(after.status, 'new');
    assert.equal(listPhotos(db).find((p) => p.id === changedId)!.faceCount, 0);

    // A corrupt file is recorded as failed (so a batch can report it), and listed in `failed`.
    const bad = path.join(src, 'corrupt.jpg');
    writeFileSync(bad, readFileSync(path.join(src, 'group-band-5.jpg')).subarray(0, 20));
    const fourth = await importPaths(db, [src, path.join(src, 'missing.png')], { readHeader: imageHeader });
    assert.equal(fourth.newIds.length, 1);
    const badRow = getPhoto(db, fourth.newIds[0])!;
    assert.equal(badRow.status, 'failed');
    assert.match(badRow.error ?? '', /^the file is (damaged|incomplete) .*: /);
    assert.deepEqual(fourth.result.failed.map((f) => f.name).sort(), ['corrupt.jpg', 'missing.png']);
    assert.match(fourth.result.failed.find((f) => f.name === 'missing.png')!.error, /file not found/);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import never walks into excluded folders (an output folder inside the input)', { skip: photos.skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-import-'));
  try {
    const src = path.join(dir, 'album');
    cpSync(path.join(photos.path, 'boy-railing-1.jpg'), path.join(src, 'boy.jpg'));
    cpSync(path.join(photos.path, 'boy-railing-1.jpg'), path.join(src, 'out', 'boy.restored.jpg'));
    const db = openLibrary(':memory:');
    const r = await importPaths(db, [src], { exclude: [path.join(src, 'out')], readHeader: imageHeader });
    assert.equal(r.result.added, 1);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a header reader that cannot work stops the import with its message; an unreadable file only fails itself', { skip: photos.skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-import-'));
  try {
    const src = path.join(dir, 'album');
    cpSync(path.join(photos.path, 'boy-railing-1.jpg'), path.join(src, 'boy.jpg'));
    writeFileSync(path.join(src, 'broken.jpg'), 'not a photo');
    const db = openLibrary(':memory:');
    const unavailable = 'Heirloom needs the Microsoft Visual C++ runtime';
    await assert.rejects(
      importPaths(db, [src], {
        readHeader: async () => {
          throw new Error(unavailable);
        },
      }),
      { message: unavailable },
    );
    assert.deepEqual(listPhotos(db), [], 'nothing recorded as failed for a reader that could not run');
    const r = await importPaths(db, [src], { readHeader: imageHeader });
    // Both are recorded; the broken one as failed, with the reason.
    assert.equal(r.result.added, 2);
    assert.deepEqual(r.result.failed.map((f) => f.name), ['broken.jpg']);
    assert.match(r.result.failed[0].error, /: (use another copy|copy|open it)/, 'the reason says what to do');
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
