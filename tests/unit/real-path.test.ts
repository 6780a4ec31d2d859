/**
 * Output folders are compared with inputs by real path (issue 14, item 4): a link to the album
 * is the album, and an output folder inside the album is never walked, whatever path reaches it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { findImages } from '../../src-main/util/find-images.ts';
import { isInside, outputFolderProblem, realPathOf } from '../../src-main/util/real-path.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'heirloom-realpath-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const album = path.join(tmp, 'album');
mkdirSync(path.join(album, 'restored'), { recursive: true });
writeFileSync(path.join(album, 'a.jpg'), 'x');
writeFileSync(path.join(album, 'restored', 'a.restored.jpg'), 'x');
symlinkSync(album, path.join(tmp, 'link'));
symlinkSync(path.join(album, 'restored'), path.join(tmp, 'out-link'));

test('real paths see through links, also for a folder not created yet', async () => {
  const real = await realPathOf(album);
  assert.equal(await realPathOf(path.join(tmp, 'link')), real);
  assert.equal(await realPathOf(path.join(tmp, 'link', 'new', 'deeper')), path.join(real, 'new', 'deeper'));
  assert.ok(isInside(path.join(real, 'restored'), real));
  assert.ok(!isInside(`${real}-2`, real), 'a sibling with a longer name is not inside');
});

test('an output folder that is an input folder or an input photo’s folder, by any path, is a problem', async () => {
  const cases: [string, string[], RegExp | null][] = [
    [path.join(tmp, 'link'), [album], /is the input folder .*album \(through a link\): Heirloom never writes among the originals\. Choose another output folder, for example .*album\/restored$/],
    [album, [path.join(tmp, 'link')], /is the input folder .*link \(through a link\): /],
    [album, [album], /is the input folder .*album: /],
    [path.join(tmp, 'link'), [path.join(album, 'a.jpg')], /is the folder a\.jpg is in \(through a link\)/],
    [path.join(tmp, 'out-link'), [album], null],
    [path.join(tmp, 'elsewhere'), [album, path.join(album, 'a.jpg')], null],
  ];
  for (const [output, inputs, problem] of cases) {
    const p = await outputFolderProblem(output, inputs);
    if (problem === null) assert.equal(p, null, `${output} <- ${inputs}`);
    else assert.match(p ?? '', problem, `${output} <- ${inputs}`);
  }
});

test('an excluded output folder is not walked, whichever path names it', async () => {
  for (const exclude of [path.join(album, 'restored'), path.join(tmp, 'out-link'), path.join(tmp, 'link', 'restored')]) {
    const found = await findImages([album], { recursive: true, exclude: [exclude] });
    assert.deepEqual(found.files, [path.join(album, 'a.jpg')], exclude);
  }
  const walked = await findImages([album], { recursive: true });
  assert.equal(walked.files.length, 2, 'without the exclusion both are found (the test can fail)');
});
