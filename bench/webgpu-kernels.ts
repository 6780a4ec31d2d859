/**
 * WebGPU kernels against the CPU on the shapes that once went wrong: a 3x3 Conv for a range of
 * input and output channel counts (onnxruntime 1.30 on Mesa lavapipe got 30, 6 and 9 input
 * channels into a multiple of 4 outputs wrong; build.ts pads Conv inputs to a multiple of 4 on
 * WebGPU). Prints max |WebGPU - CPU| per shape; numbers only, so a newer onnxruntime or driver
 * can show whether the workaround is still needed.
 *
 *   node --import tsx bench/webgpu-kernels.ts
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src-main/worker/inference/onnx/graph.ts';

const SHAPES: [number, number][] = [
  [30, 64], [30, 32], [30, 30], [30, 31], [6, 64], [6, 8], [9, 64], [2, 64], [10, 64], [3, 64], [31, 64], [32, 64], [180, 64], [192, 180],
];
const H = 16;

async function run(model: Uint8Array, ep: string, x: ort.Tensor): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model, { executionProviders: [ep], logSeverityLevel: 3 });
  try {
    return (await s.run({ x })).y.data as Float32Array;
  } finally {
    await s.release();
  }
}

console.log(`onnxruntime-node ${ort.env.versions.common}: 3x3 Conv, ${H}x${H}, WebGPU against the CPU`);
for (const [cin, cout] of SHAPES) {
  const g = new GraphBuilder({ name: 'conv', floatType: 'float32' });
  const input = g.input('x', 'float32', [1, cin, H, H]);
  const w = g.weight('w', Float32Array.from({ length: cout * cin * 9 }, (_, i) => Math.sin(i * 1.3) * 0.1), [cout, cin, 3, 3]);
  const b = g.weight('b', Float32Array.from({ length: cout }, (_, i) => i * 0.01), [cout]);
  g.output(g.op('Conv', [input, w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }), 'y', 'float32', [1, cout, H, H]);
  const model = g.encode();
  const x = new ort.Tensor('float32', Float32Array.from({ length: cin * H * H }, (_, i) => Math.cos(i * 0.37)), [1, cin, H, H]);
  try {
    const [cpu, gpu] = [await run(model, 'cpu', x), await run(model, 'webgpu', x)];
    let err = 0;
    for (let i = 0; i < cpu.length; i++) err = Math.max(err, Math.abs(cpu[i] - gpu[i]));
    console.log(`  Conv ${String(cin).padStart(3)} -> ${String(cout).padStart(3)} channels: max |err| ${err.toExponential(2)}`);
  } catch (err) {
    console.log(`  Conv ${cin} -> ${cout}: WebGPU did not run (${(err as Error).message.split('\n')[0]})`);
  }
}
