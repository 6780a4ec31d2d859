import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Point } from '../../src-shared/faces.ts';
import { MediaCache, type CachedFace } from '../../src-main/services/media-cache.ts';
import { writeDisplayCopy } from '../../src-main/worker/media.ts';

const points: [Point, Point, Point, Point, Point] = [[10, 10], [30, 10], [20, 20], [12, 30], [28, 30]];

test('a face id reused by SQLite for another face does not get the old face\'s cached crop', () => {
  const cache = new MediaCache('/cache', writeDisplayCopy);
  const old: CachedFace = { id: 3, photoId: 1, box: [0, 0, 40, 40], points };
  const reused: CachedFace = { id: 3, photoId: 2, box: [0, 0, 40, 40], points };
  const moved: CachedFace = { id: 3, photoId: 1, box: [5, 0, 40, 40], points };
  const a = cache.facePath(old, 'aligned');
  assert.equal(a, cache.facePath({ ...old }, 'aligned'), 'same face, same file');
  assert.notEqual(a, cache.facePath(reused, 'aligned'));
  assert.notEqual(a, cache.facePath(moved, 'aligned'));
  assert.notEqual(a, cache.facePath(old, 'mean'));
});

test('forgetting a photo drops its face crops, and forgetting a face drops only that face', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'heirloom-media-'));
  const cache = new MediaCache(dir, writeDisplayCopy);
  const f1: CachedFace = { id: 1, photoId: 1, box: [0, 0, 40, 40], points };
  const f2: CachedFace = { id: 2, photoId: 1, box: [50, 0, 40, 40], points };
  const other: CachedFace = { id: 3, photoId: 11, box: [0, 0, 40, 40], points };
  mkdirSync(path.join(dir, 'faces'));
  const files = [f1, f2, other].flatMap((f) => (['aligned', 'flow'] as const).map((v) => cache.facePath(f, v)));
  for (const f of files) writeFileSync(f, 'png');
  await cache.forgetFace(f2);
  assert.deepEqual(files.map((f) => existsSync(f)), [true, true, false, false, true, true]);
  await cache.forgetPhoto(1);
  assert.deepEqual(files.map((f) => existsSync(f)), [false, false, false, false, true, true], 'photo 11 keeps its faces');
});
