import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobProgress } from '../../src-shared/ipc.ts';
import { EtaEstimator, ProgressThrottle, photoFraction } from '../../src-main/jobs/progress.ts';

const p = (done: number): JobProgress => ({ jobId: 1, state: 'running', done, failed: 0, total: 10, current: null, etaMs: null });

test('progress is throttled to one event per interval, keeping the latest', async () => {
  let now = 1000;
  const seen: number[] = [];
  let computed = 0;
  const t = new ProgressThrottle((e) => seen.push(e.done), 100, () => now);
  const lazy = (n: number) => () => (computed++, p(n));
  t.push(lazy(1)); // first: immediately
  for (let i = 2; i <= 50; i++) t.push(lazy(i)); // a burst inside the interval
  assert.deepEqual(seen, [1]);
  assert.equal(computed, 1, 'updates dropped by the throttle are never computed');
  now += 100;
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(seen, [1, 50], 'the trailing event carries the latest state');
  t.flush(p(51));
  assert.deepEqual(seen, [1, 50, 51], 'flush emits at once');
});

test('ETA comes from the photos processed in this run and the part of the current one done', () => {
  let now = 0;
  const eta = new EtaEstimator(() => now);
  assert.equal(eta.estimate(5, 0), null, 'no estimate before the first photo');
  now = 4000;
  eta.photoProcessed();
  eta.photoProcessed();
  assert.equal(eta.estimate(3, 0), 6000);
  assert.equal(eta.estimate(3, 0.5), 5000);
});

test('a photo progresses monotonically through its stages', () => {
  const order = ['decode', 'detect', 'align', 'restore', 'paste', 'encode'] as const;
  let last = -1;
  for (const s of order) {
    for (const f of [0, 0.5, 1]) {
      const v = photoFraction(s, f);
      assert.ok(v >= last, `${s} ${f}`);
      last = v;
    }
  }
  assert.equal(photoFraction('encode', 1), 1);
});
