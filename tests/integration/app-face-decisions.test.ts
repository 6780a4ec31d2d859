// The user's per-face decisions reach the saved photo: each kind of decision (skip a face, a new
// variation, a face drawn by hand and removed again, faithful for one face, a settings change) makes the photo's
// result out of date, and restoring it again through the real inference worker (tiny PMRF test
// model) replaces the output, its sidecar and the batch summary with what was decided. A
// photo whose result is current is skipped and its file left alone.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import type { FaceRecord, JobProgress } from '../../src-shared/ipc.ts';
import type { ItemEvent } from '../../src-main/jobs/photo-item.ts';
import { closeAlbums, openAlbum } from '../helpers/app-album.ts';
import { sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
after(closeAlbums);

interface SidecarFace {
  box: number[];
  include: boolean;
  seed: number;
  manual?: boolean;
  fidelity?: number | null;
}

/** Mean absolute difference of two same-size images over a box (x, y, w, h), all channels. */
async function boxDiff(a: string, b: string, [x, y, w, h]: number[]): Promise<number> {
  const region = centre([x, y, w, h]);
  const [pa, pb] = await Promise.all([a, b].map((f) => sharp(f).extract(region).removeAlpha().raw().toBuffer()));
  let sum = 0;
  for (let i = 0; i < pa.length; i++) sum += Math.abs(pa[i] - pb[i]);
  return sum / pa.length;
}

test('every kind of face decision makes the result out of date, and restoring again applies it', { skip: photos.skip }, async () => {
  const { input, out, app: a } = await openAlbum('decisions', (dir) => {
    for (const f of ['diptych-2.jpg', 'portrait-small-1.jpg']) copyFileSync(path.join(photos.path, f), path.join(dir, f));
  });
  const s = a.services;
  const imported = await s.call('library:importDialog', { kind: 'folder' });
  assert.ok(imported);
  await s.call('settings:pickOutputFolder', {});
  // PNG: pixels outside the restored faces are the original's exactly.
  const settings = await s.call('settings:get', {});
  await s.call('settings:set', { ...settings, restore: { ...settings.restore, format: 'png' } });
  const list = await s.call('library:list', {});
  const diptych = list.find((p) => p.name === 'diptych-2.jpg')!;
  const portrait = list.find((p) => p.name === 'portrait-small-1.jpg')!;
  const original = path.join(input, 'diptych-2.jpg');
  const output = path.join(out, 'diptych-2.restored.png');
  const sidecarOf = () => JSON.parse(readFileSync(`${output}.json`, 'utf8')) as { faces: SidecarFace[] };
  const summaryOf = () => JSON.parse(readFileSync(path.join(out, 'heirloom-summary.json'), 'utf8')) as { photos: { input: string; outcome: string }[] };

  const outcomes: ItemEvent[] = [];
  let lastEnd: JobProgress | undefined;
  a.queue.onItem((e) => outcomes.push(e));
  /** Runs one batch to its end; returns each photo's outcome by name. */
  async function restore(ids: number[]): Promise<Record<string, string>> {
    const from = outcomes.length;
    const done = new Promise<JobProgress>((resolve) => {
      const off = s.on('jobs:progress', (p) => {
        if (p.state === 'done' || p.state === 'failed' || p.state === 'cancelled') {
          off();
          resolve(p);
        }
      });
    });
    await s.call('jobs:start', { photoIds: ids });
    lastEnd = await done;
    assert.equal(lastEnd.state, 'done');
    await a.queue.idle();
    return Object.fromEntries(outcomes.slice(from).map((e) => [e.name, e.outcome]));
  }
  const outOfDate = async () => (await s.call('library:list', {})).filter((p) => p.outOfDate).map((p) => p.name);

  // First restore: both photos, every face included with its seed.
  assert.deepEqual(await restore([diptych.id, portrait.id]), { 'diptych-2.jpg': 'restored', 'portrait-small-1.jpg': 'restored' });
  assert.deepEqual(await outOfDate(), []);
  // The gallery shows what the user gets: the restored photo's thumbnail.
  assert.match((await s.media({ kind: 'thumb', photoId: diptych.id })).path, /thumbs-restored/);
  let faces: FaceRecord[] = (await s.call('library:get', { photoId: diptych.id })).faces;
  assert.ok(faces.length >= 2, `diptych has ${faces.length} faces`);
  const [first, second] = faces;
  assert.deepEqual(sidecarOf().faces.map((f) => [f.include, f.seed]), faces.map((f) => [true, f.seed]));
  const restoredDiff = await boxDiff(output, original, second.box);
  assert.ok(restoredDiff > 2, `the second face was restored (differs by ${restoredDiff.toFixed(2)})`);

  // Nothing changed: "Restore all" skips both and leaves the file alone.
  const mtime = statSync(output).mtimeMs;
  assert.deepEqual(await restore([diptych.id, portrait.id]), { 'diptych-2.jpg': 'skipped', 'portrait-small-1.jpg': 'skipped' });
  assert.equal(statSync(output).mtimeMs, mtime);
  assert.deepEqual([lastEnd?.done, lastEnd?.skipped], [2, 2], 'the progress says both were already up to date');

  // 1. Skip the second face: out of date, then restored again without it, into the same file.
  await s.call('faces:update', { faceId: second.id, include: false });
  assert.deepEqual(await outOfDate(), ['diptych-2.jpg']);
  assert.equal((await s.call('library:get', { photoId: diptych.id })).outOfDate, true, 'the viewer hears it too');
  assert.equal((await s.call('library:get', { photoId: diptych.id })).status, 'restored');
  assert.deepEqual(await restore([diptych.id, portrait.id]), { 'diptych-2.jpg': 'restored', 'portrait-small-1.jpg': 'skipped' });
  assert.deepEqual(await outOfDate(), []);
  assert.deepEqual(sidecarOf().faces.map((f) => f.include), faces.map((f) => f.id !== second.id));
  const skippedDiff = await boxDiff(output, original, second.box);
  assert.ok(skippedDiff < 0.5, `the skipped face is the original's pixels (differs by ${skippedDiff.toFixed(2)})`);
  assert.deepEqual(
    summaryOf().photos.map((p) => [path.basename(p.input), p.outcome]).sort(),
    [['diptych-2.jpg', 'restored'], ['portrait-small-1.jpg', 'skipped']],
  );
  assert.ok(statSync(output).mtimeMs > mtime, 'the same output file was replaced');

  // 2. A new variation of the first face: a new seed, new pixels there.
  const beforeSeed = await sharp(output).extract(centre(first.box)).raw().toBuffer();
  await s.call('faces:update', { faceId: first.id, seed: first.seed + 1000 });
  assert.deepEqual(await outOfDate(), ['diptych-2.jpg']);
  assert.deepEqual(await restore([diptych.id]), { 'diptych-2.jpg': 'restored' });
  assert.equal(sidecarOf().faces[0].seed, first.seed + 1000);
  const afterSeed = await sharp(output).extract(centre(first.box)).raw().toBuffer();
  assert.ok(!afterSeed.equals(beforeSeed), 'another seed, another face');

  // 3. A face drawn by hand is restored; removing it brings the photo back without it.
  const drawn = (await s.call('faces:add', { photoId: diptych.id, box: second.box.map(Math.round) as [number, number, number, number] })).faces.at(-1)!;
  assert.equal(drawn.manual, true);
  assert.deepEqual(await outOfDate(), ['diptych-2.jpg']);
  assert.deepEqual(await restore([diptych.id]), { 'diptych-2.jpg': 'restored' });
  assert.deepEqual(sidecarOf().faces.filter((f) => f.manual).map((f) => f.include), [true]);
  assert.ok((await boxDiff(output, original, second.box)) > 2, 'the drawn face was restored');
  await s.call('faces:remove', { faceId: drawn.id });
  assert.deepEqual(await outOfDate(), ['diptych-2.jpg']);
  assert.deepEqual(await restore([diptych.id]), { 'diptych-2.jpg': 'restored' });
  assert.deepEqual(sidecarOf().faces.filter((f) => f.manual), []);
  assert.ok((await boxDiff(output, original, second.box)) < 0.5, 'without the drawn face, the original pixels again');

  // 4. Faithful for the first face (its own fidelity 0): the posterior mean, which no seed changes.
  await s.call('faces:update', { faceId: first.id, fidelity: 0 });
  assert.deepEqual(await outOfDate(), ['diptych-2.jpg']);
  assert.deepEqual(await restore([diptych.id]), { 'diptych-2.jpg': 'restored' });
  assert.equal(sidecarOf().faces[0].fidelity, 0);
  const faithful = await sharp(output).extract(centre(first.box)).raw().toBuffer();
  assert.ok(!faithful.equals(afterSeed), 'the faithful result differs from the realistic one');
  await s.call('faces:update', { faceId: first.id, seed: first.seed + 2000 });
  assert.deepEqual(await restore([diptych.id]), { 'diptych-2.jpg': 'restored' });
  assert.ok((await sharp(output).extract(centre(first.box)).raw().toBuffer()).equals(faithful), 'a new seed leaves the faithful face as it was');
  // Back to the setting (realistic by default): the flow result for the new seed.
  await s.call('faces:update', { faceId: first.id, fidelity: null });
  assert.deepEqual(await restore([diptych.id]), { 'diptych-2.jpg': 'restored' });
  assert.equal(sidecarOf().faces[0].fidelity, null);
  assert.ok(!(await sharp(output).extract(centre(first.box)).raw().toBuffer()).equals(faithful));

  // A restored file deleted outside the app: out of date, and restoring again brings it back.
  const portraitOut = path.join(out, 'portrait-small-1.restored.png');
  rmSync(portraitOut);
  assert.deepEqual(await outOfDate(), ['portrait-small-1.jpg']);
  assert.deepEqual(await restore([portrait.id]), { 'portrait-small-1.jpg': 'restored' });
  assert.ok(existsSync(portraitOut));

  // 5. A settings change makes every restored photo out of date; the device alone does not.
  faces = (await s.call('library:get', { photoId: diptych.id })).faces;
  const now = await s.call('settings:get', {});
  await s.call('settings:set', { ...now, restore: { ...now.restore, device: 'cpu' } });
  assert.deepEqual(await outOfDate(), []);
  await s.call('settings:set', { ...now, restore: { ...now.restore, steps: now.restore.steps + 1 } });
  assert.deepEqual((await outOfDate()).sort(), ['diptych-2.jpg', 'portrait-small-1.jpg']);
  assert.deepEqual(await restore([diptych.id, portrait.id]), { 'diptych-2.jpg': 'restored', 'portrait-small-1.jpg': 'restored' });
  assert.deepEqual(await outOfDate(), []);
  assert.deepEqual(sidecarOf().faces.map((f) => [f.include, f.seed]), faces.map((f) => [f.include, f.seed]), 'the decisions survive a settings change');
});

function centre([x, y, w, h]: number[]) {
  return { left: Math.round(x + w / 4), top: Math.round(y + h / 4), width: Math.round(w / 2), height: Math.round(h / 2) };
}
