import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allPaths, chooseOutputNames, mapNames, namesFor, pairPaths, stemOf } from '../../src-main/export/naming.ts';
import { commitFiles, isTempName, removeStaleTemps, tempPathFor } from '../../src-main/util/atomic-file.ts';
import { buildSummary, toCsv } from '../../src-main/export/summary.ts';
import { DEFAULT_SETTINGS } from '../../src-shared/settings.ts';

test('names follow <name>.restored.<ext> with pairs and sidecar beside it', () => {
  const n = namesFor('/out', 'grandma', 'jpg', 'files');
  assert.deepEqual(n, {
    image: path.join('/out', 'grandma.restored.jpg'),
    sideBySide: null,
    before: path.join('/out', 'grandma.before.jpg'),
    after: path.join('/out', 'grandma.after.jpg'),
    sidecar: path.join('/out', 'grandma.restored.jpg.json'),
  });
  assert.equal(namesFor('/out', 'a', 'tiff', 'side-by-side').sideBySide, path.join('/out', 'a.before-after.tif'));
  assert.equal(namesFor('/out', 'a', 'png', 'none').sideBySide, null);
  assert.equal(stemOf('/in/Scan 1.final.JPG'), 'Scan 1.final');
  assert.equal(stemOf('/in/what?.png'), 'what_');
  assert.equal(stemOf('/in/trailing. .jpg'), 'trailing', 'Windows drops trailing dots and spaces');
});

test('a taken name moves the whole group to " (2)", " (3)"; nothing is overwritten', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-names-'));
  try {
    const first = chooseOutputNames(dir, '/a/photo.jpg', 'png', 'side-by-side');
    assert.equal(path.basename(first.image), 'photo.restored.png');
    // Only the pair exists (e.g. from an earlier export): the group still moves together.
    writeFileSync(first.sideBySide!, 'x');
    const second = chooseOutputNames(dir, '/b/photo.tif', 'png', 'side-by-side');
    assert.deepEqual(allPaths(second).map((p) => path.basename(p)), [
      'photo (2).restored.png',
      'photo (2).before-after.png',
      'photo (2).restored.png.json',
    ]);
    // Names reserved by an unfinished photo count as taken, case-insensitively.
    const third = chooseOutputNames(dir, '/c/photo.png', 'png', 'side-by-side', new Set([second.image.toUpperCase()]));
    assert.equal(path.basename(third.image), 'photo (3).restored.png');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('commit renames temp files onto final names; stale temps of dead processes are removed', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-atomic-'));
  try {
    const final = path.join(dir, 'x.restored.jpg');
    const temp = tempPathFor(final);
    assert.ok(isTempName(path.basename(temp)) && temp.endsWith('.x.restored.jpg'));
    writeFileSync(temp, 'data');
    commitFiles([{ temp, final }]);
    assert.deepEqual(readdirSync(dir), ['x.restored.jpg']);

    const dead = '.heirloom-tmp-999999999-00000000.y.restored.jpg';
    const deadEncoder = '.y.restored.jpg.999999999.0a0b0c0d.tmp';
    const mine = path.basename(tempPathFor(path.join(dir, 'z.jpg')));
    const alive = `.heirloom-tmp-${process.ppid}-11111111.w.jpg`;
    for (const n of [dead, deadEncoder, mine, alive, '.hidden-user-file']) writeFileSync(path.join(dir, n), '');
    assert.deepEqual(removeStaleTemps(dir).sort(), [deadEncoder, dead].sort());
    assert.deepEqual(readdirSync(dir).sort(), [mine, alive, '.hidden-user-file', 'x.restored.jpg'].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CSV summary quotes fields and defuses spreadsheet formulas', () => {
  const s = buildSummary({
    jobId: 1,
    state: 'done',
    settings: DEFAULT_SETTINGS,
    model: null,
    startedAt: null,
    finishedAt: null,
    photos: [
      { input: '/p/a, "b".jpg', outcome: 'restored', outputs: ['a.restored.jpg', 'a.restored.jpg.json'], faces: 2, error: null, note: 'written at 2x instead of 4x: too big', totalMs: 1234.4 },
      { input: '/p/c.jpg', outcome: 'failed', outputs: [], faces: null, error: '=HYPERLINK("x")', note: null, totalMs: null },
    ],
  });
  assert.deepEqual(s.counts, { restored: 1, skipped: 0, failed: 1, 'not-run': 0 });
  const lines = toCsv(s).trimEnd().split('\r\n');
  assert.equal(lines[0], 'input,outcome,faces,total_ms,outputs,error,note');
  assert.equal(lines[1], '"/p/a, ""b"".jpg",restored,2,1234,a.restored.jpg;a.restored.jpg.json,,written at 2x instead of 4x: too big');
  assert.equal(lines[2], `/p/c.jpg,failed,,,,"'=HYPERLINK(""x"")",`);
});

test('a group maps to temporary names of the same shape; pair files in group order', () => {
  const n = namesFor('/out', 'g', 'png', 'files');
  const t = mapNames(n, (p) => `${p}.tmp`);
  assert.deepEqual(allPaths(t), allPaths(n).map((p) => `${p}.tmp`));
  assert.equal(t.sideBySide, null);
  assert.deepEqual(pairPaths(n), [path.join('/out', 'g.before.png'), path.join('/out', 'g.after.png')]);
  assert.deepEqual(pairPaths(namesFor('/out', 'g', 'png', 'none')), []);
});
