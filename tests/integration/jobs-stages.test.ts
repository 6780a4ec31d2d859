import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_SETTINGS, type RestoreSettings } from '../../src-shared/settings.ts';
import type { FaceRecord } from '../../src-shared/ipc.ts';
import { PipelineProcessor } from '../../src-main/worker/photo-stages.ts';
import type { StageContext } from '../../src-main/jobs/photo-processor.ts';
import type { FaceRestorer, RestoreOptions } from '../../src-main/worker/pipeline/face-restorer.ts';
import { restorePhoto } from '../../src-main/worker/pipeline/restore-photo.ts';
import { brightenRestorer, identityRestorer } from '../helpers/pipeline-restorers.ts';
import { sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
const ctx = (): StageContext => ({ signal: new AbortController().signal, onStage: () => {} });

async function raw(file: string) {
  return sharp(file).raw().toBuffer({ resolveWithObject: true });
}

/** Records the options of each restore call (the seeds the queue passes per face). */
function recording(restorer: FaceRestorer): FaceRestorer & { options: RestoreOptions[] } {
  const options: RestoreOptions[] = [];
  return {
    faceSize: restorer.faceSize,
    description: restorer.description,
    options,
    restore: (faces, n, o) => {
      options.push(o);
      return restorer.restore(faces, n, o);
    },
    dispose: () => restorer.dispose(),
  };
}

// Both run pipeline/stages.ts: this checks the processor wires the photo's settings into it
// (scale, format, faces, seeds, pair targets) as restorePhoto does.
test('the three stages produce exactly what restorePhoto produces, plus pairs at one scale', { skip: photos.skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-stages-'));
  try {
    const input = path.join(photos.path, 'scan-family-3.png');
    const settings: RestoreSettings = { ...DEFAULT_SETTINGS, format: 'png', scale: 2, pairs: 'side-by-side' };
    const restorer = recording(brightenRestorer(0.2, 128));
    const reference = path.join(dir, 'reference.png');
    const ref = await restorePhoto(input, reference, restorer, settings);

    const proc = new PipelineProcessor({ restorer, modelSha256: null });
    const stages: string[] = [];
    const c: StageContext = { signal: new AbortController().signal, onStage: (s) => stages.push(s) };
    const prepared = await proc.prepare({ path: input, settings, knownFaces: null }, c);
    assert.equal(prepared.detected, true);
    assert.deepEqual(prepared.faces.map((f) => f.box), ref.faces.map((f) => f.box));
    assert.deepEqual(prepared.faces.map((f) => f.seed), prepared.faces.map((_, i) => settings.seed + i));
    const restored = await proc.restore(prepared, c);
    assert.deepEqual(restorer.options.at(-1)?.seeds, prepared.faces.map((f) => f.seed), 'one seed per face');
    const targets = { image: path.join(dir, 'a.png'), sideBySide: path.join(dir, 'pair.png'), before: null, after: null };
    await proc.finish(prepared, restored.state, targets, c);
    assert.deepEqual(stages, ['decode', 'detect', 'repair', 'align', 'restore', 'paste', 'encode']);

    const a = await raw(targets.image);
    const b = await raw(reference);
    assert.deepEqual([a.info.width, a.info.height], [783 * 2, 1146 * 2]);
    assert.ok(a.data.equals(b.data), 'same pixels as restorePhoto');

    // The pair: before | divider | after, both at the output scale; the right half is the output.
    const pair = await sharp(targets.sideBySide).metadata();
    const gap = pair.width! - 2 * a.info.width;
    assert.ok(gap >= 2 && gap <= a.info.width / 100, `a thin divider (${gap} px)`);
    assert.equal(pair.height, a.info.height);
    const right = await sharp(targets.sideBySide).extract({ left: a.info.width + gap, top: 0, width: a.info.width, height: a.info.height }).raw().toBuffer();
    assert.ok(right.equals(a.data), 'right half is the restored photo');
    const left = await sharp(targets.sideBySide).extract({ left: 0, top: 0, width: a.info.width, height: a.info.height }).raw().toBuffer();
    const upscaled = await sharp(input).resize(a.info.width, a.info.height, { kernel: 'lanczos3' }).raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < left.length; i += 7) diff = Math.max(diff, Math.abs(left[i] - upscaled[i]));
    assert.ok(diff <= 40, `left half is the original at the same scale (max diff ${diff})`);
    assert.ok(!left.equals(right), 'before and after differ (faces were brightened)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stored faces are used as given: an excluded face is not restored, seeds are kept', { skip: photos.skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-stages-'));
  try {
    const input = path.join(photos.path, 'diptych-2.jpg');
    const settings: RestoreSettings = { ...DEFAULT_SETTINGS, format: 'png', pairs: 'files' };
    const detector = new PipelineProcessor({ restorer: identityRestorer(128), modelSha256: null });
    const found = await detector.prepare({ path: input, settings, knownFaces: null }, ctx());
    assert.ok(found.faces.length >= 2);
    const known: FaceRecord[] = found.faces.map((f, i) => ({ ...f, id: i + 1, photoId: 1, include: i !== 0, seed: 1000 + i, fidelity: i === 1 ? 0.25 : null }));
    const restorer = recording(identityRestorer(128));
    const proc = new PipelineProcessor({ restorer, modelSha256: null });
    const prepared = await proc.prepare({ path: input, settings, knownFaces: known }, ctx());
    assert.equal(prepared.detected, false);
    assert.deepEqual(prepared.faces.map((f) => [f.include, f.seed]), known.map((f) => [f.include, f.seed]));
    const restored = await proc.restore(prepared, ctx());
    const usable = known.filter((f) => f.include && f.skipped === undefined);
    assert.deepEqual(restorer.options.map((o) => o.seeds), [usable.map((f) => f.seed)], 'only included faces, each with its stored seed');
    assert.deepEqual(restorer.options.map((o) => o.fidelities), [usable.map((f) => f.fidelity)], 'and its own fidelity (null: the setting)');
    const targets = { image: path.join(dir, 'a.png'), sideBySide: null, before: path.join(dir, 'b.png'), after: path.join(dir, 'c.png') };
    await proc.finish(prepared, restored.state, targets, ctx());
    const [img, before, after] = await Promise.all([raw(targets.image), raw(targets.before), raw(targets.after)]);
    assert.ok(img.data.equals(after.data), 'the after file is the restored photo');
    assert.deepEqual([before.info.width, before.info.height], [img.info.width, img.info.height]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cancel while pasting stops the photo before anything is written', { skip: photos.skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-stages-'));
  try {
    const input = path.join(photos.path, 'diptych-2.jpg');
    const settings: RestoreSettings = { ...DEFAULT_SETTINGS, format: 'png', pairs: 'none' };
    const proc = new PipelineProcessor({ restorer: identityRestorer(128), modelSha256: null });
    const prepared = await proc.prepare({ path: input, settings, knownFaces: null }, ctx());
    const restored = await proc.restore(prepared, ctx());
    const controller = new AbortController();
    const c: StageContext = { signal: controller.signal, onStage: (s) => s === 'paste' && controller.abort() };
    const targets = { image: path.join(dir, 'a.png'), sideBySide: null, before: null, after: null };
    await assert.rejects(proc.finish(prepared, restored.state, targets, c), { name: 'AbortError' });
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
