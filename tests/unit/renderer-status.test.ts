import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchLabel, isJobActive, jobAnnouncement, jobFraction, needsRestore, noFacesText, photoBadge, stageLabel } from '../../src-renderer/lib/status.ts';
import type { JobProgress } from '../../src-shared/ipc.ts';

test('photoBadge reads each status', () => {
  assert.deepEqual(photoBadge({ status: 'new', faceCount: 0 }), { label: 'New', tone: 'neutral' });
  assert.deepEqual(photoBadge({ status: 'detected', faceCount: 3 }), { label: '3 faces', tone: 'info' });
  assert.deepEqual(photoBadge({ status: 'detected', faceCount: 1 }), { label: '1 face', tone: 'info' });
  assert.deepEqual(photoBadge({ status: 'detected', faceCount: 0 }), { label: 'No faces', tone: 'neutral' });
  assert.equal(photoBadge({ status: 'restored', faceCount: 2 }).tone, 'success');
  assert.equal(photoBadge({ status: 'failed', faceCount: 0 }).label, 'Failed');
  assert.equal(stageLabel('paste'), 'Blending back');
  assert.deepEqual(photoBadge({ status: 'restored', faceCount: 2, outOfDate: true }), { label: 'Out of date', tone: 'info' });
  assert.deepEqual(photoBadge({ status: 'restored', faceCount: 0 }), { label: 'Saved, no faces', tone: 'neutral' });
});

test('a photo without faces is described by what happened to it', () => {
  assert.equal(noFacesText({ status: 'failed' }, 2), 'This photo could not be read, so no faces were looked for.');
  assert.equal(noFacesText({ status: 'detected' }, 1), 'No faces found in this photo. Restoring it saves an unchanged copy.');
  assert.equal(noFacesText({ status: 'restored' }, 2), 'No faces found in this photo. Nothing was restored; a copy enlarged 2\u00d7 was saved.');
});

test('a batch restores what is new, failed or out of date, and says how many are out of date', () => {
  assert.equal(needsRestore({ status: 'detected', outOfDate: false }), true);
  assert.equal(needsRestore({ status: 'failed', outOfDate: false }), true);
  assert.equal(needsRestore({ status: 'restored', outOfDate: false }), false);
  assert.equal(needsRestore({ status: 'restored', outOfDate: true }), true);
  assert.equal(needsRestore({ status: 'queued', outOfDate: false }), false);
  assert.equal(batchLabel({ selected: false, restore: 5, outOfDate: 0 }), 'Restore all (5)');
  assert.equal(batchLabel({ selected: false, restore: 5, outOfDate: 2 }), 'Restore all (5, 2 out of date)');
  assert.equal(batchLabel({ selected: true, restore: 2, outOfDate: 2 }), 'Restore 2 out of date');
  assert.equal(batchLabel({ selected: true, restore: 0, outOfDate: 0 }), 'Restore selected (0)');
  assert.equal(batchLabel({ selected: false, restore: 0, outOfDate: 0, upToDate: 4 }), 'All photos are up to date');
  assert.equal(batchLabel({ selected: false, restore: 1, outOfDate: 0, upToDate: 4 }), 'Restore all (1)');
});

const progress = (over: Partial<JobProgress>): JobProgress => ({
  jobId: 1, state: 'running', done: 0, failed: 0, total: 4, current: null, etaMs: null, ...over,
});

test('jobFraction counts finished, failed and the stage of the current photo', () => {
  assert.equal(jobFraction(progress({})), 0);
  assert.equal(jobFraction(progress({ done: 1, failed: 1, current: { photoId: 3, name: 'a.jpg', stage: 'restore', fraction: 0.5 } })), 2.5 / 4);
  assert.equal(jobFraction(progress({ done: 4 })), 1);
  assert.equal(jobFraction(progress({ total: 0 })), 0);
});

test('jobAnnouncement and isJobActive', () => {
  assert.equal(jobAnnouncement(progress({ done: 1, current: { photoId: 2, name: 'b.jpg', stage: 'detect', fraction: 0 } })), 'Restoring b.jpg. 1 of 4 restored.');
  assert.equal(jobAnnouncement(progress({ state: 'done', done: 3, failed: 1 })), 'Batch finished. 3 of 4 restored, 1 failed.');
  assert.equal(jobAnnouncement(progress({ state: 'paused', done: 2 })), 'Paused. 2 of 4 restored.');
  assert.equal(jobAnnouncement(progress({ state: 'paused', current: { photoId: 2, name: 'b.jpg', stage: 'paste', fraction: 0.2 } })), 'Pausing after b.jpg. 0 of 4 restored.');
  assert.equal(isJobActive(progress({ state: 'paused' })), true);
  assert.equal(isJobActive(progress({ state: 'cancelled' })), false);
  assert.equal(isJobActive(null), false);
});

test('a photo skipped as already current is not counted as restored', () => {
  assert.equal(jobAnnouncement(progress({ state: 'done', done: 3, skipped: 1, total: 3 })), 'Batch finished. 2 of 3 restored, 1 already up to date.');
});
