/**
 * Whether an execution provider loads and computes here: a 64x64 MatMul on that provider alone
 * (no CPU fallback, so a provider that cannot place the node fails instead of passing on the
 * CPU), checked against the product computed in JavaScript.
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from './onnx/graph.ts';
import { errorReason, type ExecutionProvider } from './session.ts';

export interface ProbeResult {
  loads: boolean;
  /** Why it does not load or computes wrongly (first line of onnxruntime's error). */
  reason?: string;
}

const N = 64;

function probeModel(): { model: Uint8Array; a: Float32Array; expected: Float32Array } {
  const w = Float32Array.from({ length: N * N }, (_, i) => Math.sin(i) * 0.1);
  const a = Float32Array.from({ length: N * N }, (_, i) => Math.cos(i * 0.7));
  const g = new GraphBuilder({ name: 'probe', floatType: 'float32' });
  const x = g.input('a', 'float32', [N, N]);
  g.output(g.op('MatMul', [x, g.weight('w', w, [N, N])]), 'y', 'float32', [N, N]);
  const expected = new Float32Array(N * N);
  for (let i = 0; i < N; i++)
    for (let k = 0; k < N; k++) {
      const aik = a[i * N + k];
      for (let j = 0; j < N; j++) expected[i * N + j] += aik * w[k * N + j];
    }
  return { model: g.encode(), a, expected };
}

/** Loads and runs the probe on `ep` only; never throws. */
export async function probeProvider(ep: ExecutionProvider): Promise<ProbeResult> {
  const { model, a, expected } = probeModel();
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(model, { executionProviders: [ep], graphOptimizationLevel: 'disabled', logSeverityLevel: 4 });
    const out = await session.run({ a: new ort.Tensor('float32', a, [N, N]) });
    const y = out.y?.data as Float32Array | undefined;
    if (y === undefined) return { loads: false, reason: 'the probe produced no output' };
    let err = 0;
    for (let i = 0; i < y.length; i++) err = Math.max(err, Math.abs(y[i] - expected[i]));
    // Not a finite number fails this comparison too.
    if (!(err <= 1e-3)) return { loads: false, reason: `loads but computes a 64x64 MatMul wrong (max |err| ${err})` };
    return { loads: true };
  } catch (err) {
    return { loads: false, reason: errorReason(err) };
  } finally {
    await session?.release();
  }
}
