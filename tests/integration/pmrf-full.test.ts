import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runParityCheck } from '../../src-main/worker/inference/parity.ts';
import { sharedPath } from '../helpers/shared.ts';

// The published architecture (176M parameters, formula weights) at 512 px: one SwinIR pass and
// 1 + K HDiT passes on the CPU take minutes on two cores, so the suite runs this check once.
const full = sharedPath('pmrf', 'vectors', 'full');

test('full vectors: the fp32 engine reproduces the published architecture', { skip: full.skip, timeout: 40 * 60_000 }, async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'heirloom-pmrf-full-'));
  process.env.HEIRLOOM_HOME = home; // hash memo + build cache stay in the temp folder
  try {
    const report = await runParityCheck(full.path, { precision: 'fp32', device: 'cpu', cacheDir: path.join(home, 'cache') });
    for (const l of report.lines) console.log(`full fp32 ${l.name}: ${l.maxAbsErr.toExponential(3)} (tol ${l.tolerance})`);
    console.log(`full fp32 timings (s): ${JSON.stringify(report.timings)}`);
    assert.ok(report.pass, report.lines.filter((l) => !l.pass).map((l) => `${l.name} ${l.maxAbsErr}`).join(', '));
    assert.ok(report.lines.some((l) => l.name === 'v_probe_t0.3'));
    assert.ok(report.lines.some((l) => l.name === 'restored'));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
