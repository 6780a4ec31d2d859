import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatApprox, formatBatchEstimate, formatBytes, formatDuration, formatEta, formatPercent, formatSpeed } from '../../src-renderer/lib/format.ts';

test('formatDuration picks readable units and rounds to seconds', () => {
  assert.equal(formatDuration(0), 'less than a second');
  assert.equal(formatDuration(499), 'less than a second');
  assert.equal(formatDuration(1500), '2 s');
  assert.equal(formatDuration(59_400), '59 s');
  assert.equal(formatDuration(60_000), '1 min');
  assert.equal(formatDuration(185_000), '3 min 5 s');
  assert.equal(formatDuration(3_600_000), '1 h');
  assert.equal(formatDuration(4_800_000), '1 h 20 min');
  assert.equal(formatDuration(-5), 'unknown');
  assert.equal(formatDuration(Number.NaN), 'unknown');
});

test('formatEta handles a missing estimate and the last second', () => {
  assert.equal(formatEta(null), 'estimating time left…');
  assert.equal(formatEta(300), 'almost done');
  assert.equal(formatEta(90_000), 'about 1 min 30 s left');
});

test('formatBytes uses decimal units with sensible precision', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1000), '1.00 KB');
  assert.equal(formatBytes(12_345_678), '12.3 MB');
  assert.equal(formatBytes(1_234_567_890), '1.23 GB');
  assert.equal(formatBytes(512_000_000), '512 MB');
  assert.equal(formatBytes(-1), 'unknown size');
});

test('formatSpeed and formatPercent clamp nonsense', () => {
  assert.equal(formatSpeed(0), '—');
  assert.equal(formatSpeed(2_500_000), '2.50 MB/s');
  assert.equal(formatPercent(0.333), '33%');
  assert.equal(formatPercent(1.7), '100%');
  assert.equal(formatPercent(-1), '0%');
  assert.equal(formatPercent(Number.NaN), '0%');
});

test('formatBatchEstimate multiplies the per-face estimate', () => {
  assert.equal(formatBatchEstimate(null, 3), 'time per face unknown');
  assert.equal(formatBatchEstimate(40, 3), 'about 2 min for 3 faces');
  assert.equal(formatBatchEstimate(40, 1), 'about 40 s for 1 face');
  assert.equal(formatBatchEstimate(1.5, 0), 'about 2 s per face');
  assert.equal(formatBatchEstimate(0.2, 1), 'under a second for 1 face');
  assert.equal(formatApprox(0), 'under a second');
  assert.equal(formatApprox(61_000), 'about 1 min 1 s');
});
