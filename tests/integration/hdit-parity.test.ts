/**
 * HDiT parity with the PyTorch reference vectors: v = HDiT(x_0, t = 0.3) must match
 * v_probe_t0.3.bin within 1e-4 * max(1, max|ref|) (shared/pmrf/vectors/README.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseArch } from '../../src-main/worker/inference/arch.ts';
import { buildHdit, hditTensors } from '../../src-main/worker/inference/hdit.ts';
import { ExternalWeightsFile, GraphBuilder } from '../../src-main/worker/inference/onnx/graph.ts';
import { CheckpointWeights } from '../../src-main/worker/inference/weights.ts';
import { openVectorsCheckpoint } from '../../src-main/checkpoint/formula.ts';
import { projectFixtures, sharedPath } from '../helpers/shared.ts';

function readF32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/**
 * Builds the HDiT of a vectors folder into a temp dir and runs one pass on a batch of `batch`
 * copies of x_0 at t = 0.3; returns each face's v and the reference.
 */
async function probe(vectorsDir: string, batch = 1): Promise<{ got: Float32Array[]; ref: Float32Array }> {
  const arch = parseArch(JSON.parse(readFileSync(path.join(vectorsDir, 'meta.json'), 'utf8')), 'meta.json');
  const S = arch.image_size;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-hdit-'));
  const source = await openVectorsCheckpoint(vectorsDir);
  try {
    const weights = new ExternalWeightsFile(path.join(dir, 'hdit.weights'), 'hdit.weights');
    const g = new GraphBuilder({ name: 'hdit', floatType: 'float32', weights });
    await buildHdit(g, CheckpointWeights.check(source, hditTensors(arch.hdit), vectorsDir), arch.hdit, S);
    writeFileSync(path.join(dir, 'hdit.onnx'), g.encode());
    weights.close();
    const session = await ort.InferenceSession.create(path.join(dir, 'hdit.onnx'));
    try {
      const x0 = readF32(path.join(vectorsDir, 'x_0.bin'));
      const xs = new Float32Array(batch * x0.length);
      for (let i = 0; i < batch; i++) xs.set(x0, i * x0.length);
      const x = new ort.Tensor('float32', xs, [batch, 3, S, S]);
      const t = new ort.Tensor('float32', new Float32Array(batch).fill(0.3), [batch]);
      const v = (await session.run({ x, t })).v.data as Float32Array;
      const got = Array.from({ length: batch }, (_, i) => v.slice(i * x0.length, (i + 1) * x0.length));
      return { got, ref: readF32(path.join(vectorsDir, 'v_probe_t0.3.bin')) };
    } finally {
      await session.release();
    }
  } finally {
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertClose(got: Float32Array, ref: Float32Array): void {
  assert.equal(got.length, ref.length);
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(got[i] - ref[i]));
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  const tol = 1e-4 * Math.max(1, maxRef);
  console.log(`HDiT v_probe: max |err| ${maxErr.toExponential(3)} (tolerance ${tol.toExponential(3)}, max |ref| ${maxRef.toFixed(4)})`);
  assert.ok(maxErr <= tol, `max |err| ${maxErr} exceeds ${tol}`);
}

test('tiny HDiT reproduces v_probe_t0.3 of the tiny vectors, for each face of a batch', async () => {
  const { got, ref } = await probe(path.join(projectFixtures, 'pmrf', 'tiny'), 2);
  for (const v of got) assertClose(v, ref);
});

const full = sharedPath('pmrf', 'vectors', 'full');
test('full HDiT (formula weights, 512x512) reproduces v_probe_t0.3', { skip: full.skip, timeout: 30 * 60_000 }, async () => {
  const { got, ref } = await probe(full.path);
  assertClose(got[0], ref);
});
