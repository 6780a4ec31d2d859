/**
 * The time per face shown before a batch is measured on this device (the GPU self-check or an
 * earlier restore), never derived from a constant: unknown until then.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { engineHandlers } from '../../src-main/worker/handlers/engine.ts';
import { parseArch } from '../../src-main/worker/inference/arch.ts';
import { faceSeconds, measuredPassTimes } from '../../src-main/worker/inference/pass-times.ts';
import { createPmrfRestorer } from '../../src-main/worker/inference/pmrf-restorer.ts';
import { cacheDir } from '../../src-main/util/app-paths.ts';
import { projectFixtures } from '../helpers/shared.ts';
import { readFileSync } from 'node:fs';

const home = mkdtempSync(path.join(os.tmpdir(), 'heirloom-estimate-'));
process.env.HEIRLOOM_HOME = home;
after(() => rmSync(home, { recursive: true, force: true }));

const tiny = path.join(projectFixtures, 'pmrf', 'tiny');
const meta = path.join(tiny, 'meta.json');
const arch = parseArch(JSON.parse(readFileSync(meta, 'utf8')), 'tiny meta.json');
const S = arch.image_size;
const ctx = { signal: new AbortController().signal, progress: () => {}, status: () => {} };

test('engineInfo: no estimate before a measurement; after a restore, SwinIR + K HDiT passes as measured', async () => {
  const info = () => engineHandlers.engineInfo({ engine: { arch: meta, faceSize: S, device: 'cpu' }, steps: 3 }, ctx);
  assert.equal((await info()).secondsPerFace, null);
  const restorer = await createPmrfRestorer({ model: tiny, arch: meta, device: 'cpu', imageSize: S });
  try {
    const faces = new Float32Array(2 * 3 * S * S).fill(0.5);
    await restorer.restore(faces, 2, { steps: 2, seed: 1, fidelity: 1 });
  } finally {
    await restorer.dispose();
  }
  const measured = measuredPassTimes(cacheDir(), { provider: 'cpu', arch, faceSize: S, precision: 'fp32' });
  assert.ok(measured !== undefined && measured.source === 'restore' && measured.swinir > 0 && measured.hdit > 0, JSON.stringify(measured));
  const r = await info();
  assert.equal(r.activeDevice, 'cpu');
  assert.equal(r.secondsPerFace, faceSeconds(measured, 3));
});
