/**
 * Finds the first WebGPU kernel that disagrees with the CPU: builds one network of a vectors
 * folder in fp32 (as the engine builds it for WebGPU, or the generic graph with --generic), makes
 * every float value a graph output, runs both providers on a seeded input without graph
 * optimisations and prints the nodes whose output differs by more than 1e-3 relative, in graph
 * order (the first one is the suspect; the ones after it inherit its error). This is how the
 * wrong Conv of build.ts was found. Numbers only.
 *
 *   node --import tsx bench/webgpu-nodes.ts <vectors-dir> [swinir|hdit] [--generic] [--show N]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { parseArch } from '../src-main/worker/inference/arch.ts';
import { buildModels, checkpointRef } from '../src-main/worker/inference/build.ts';
import { gaussianNoise } from '../src-main/worker/inference/noise.ts';

const { onnx } = onnxProto;
const FLOAT = 1;
const args = process.argv.slice(2);
const dir = args[0];
if (dir === undefined) {
  console.error('usage: bench/webgpu-nodes.ts <vectors-dir> [swinir|hdit] [--generic] [--show N]');
  process.exit(2);
}
const net = args[1] === 'hdit' ? 'hdit' : 'swinir';
const show = Number(args[args.indexOf('--show') + 1]) || 8;
const arch = parseArch(JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')), 'meta.json');
const S = arch.image_size;

/** The model with every float node output added as a graph output, and those outputs' names. */
function withAllOutputs(file: string): { bytes: Uint8Array; outputs: string[]; node: Map<string, string> } {
  const m = onnx.ModelProto.decode(readFileSync(file));
  const g = m.graph!;
  const types = new Map<string, number>();
  for (const i of g.input!) types.set(i.name!, i.type!.tensorType!.elemType!);
  for (const t of g.initializer!) types.set(t.name!, t.dataType!);
  const outputs: string[] = [];
  const node = new Map<string, string>();
  const existing = new Set(g.output!.map((o) => o.name!));
  for (const n of g.node!) {
    const cast = n.attribute!.find((a) => a.name === 'to');
    const t = n.opType === 'Cast' ? Number(cast?.i) : n.opType === 'Shape' ? 7 : (types.get(n.input![0]) ?? FLOAT);
    for (const o of n.output!) {
      types.set(o, t);
      node.set(o, `${n.opType} ${n.name}`);
      if (t === FLOAT && !existing.has(o)) outputs.push(o);
    }
  }
  for (const o of outputs) g.output!.push(new onnx.ValueInfoProto({ name: o, type: { tensorType: { elemType: FLOAT } } }));
  return { bytes: onnx.ModelProto.encode(m).finish(), outputs, node };
}

const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-nodes-'));
try {
  const target = args.includes('--generic') ? 'generic' : 'webgpu';
  const built = await buildModels(await checkpointRef(dir), { arch, imageSize: S, precision: 'fp32', target, cacheDir });
  const file = built.files[net];
  const { bytes, outputs, node } = withAllOutputs(file);
  // External weights are found next to the model file: write the copy there.
  const copy = path.join(path.dirname(file), `${net}.all-outputs.onnx`);
  writeFileSync(copy, bytes);
  const n = 3 * S * S;
  const feeds: Record<string, ort.Tensor> =
    net === 'swinir'
      ? { y: new ort.Tensor('float32', gaussianNoise(1, n).map((z) => Math.min(1, Math.max(0, 0.5 + 0.2 * z))), [1, 3, S, S]) }
      : { x: new ort.Tensor('float32', gaussianNoise(2, n).map((z) => 0.5 + 0.3 * z), [1, 3, S, S]), t: new ort.Tensor('float32', Float32Array.of(0.5), [1]) };
  const run = async (ep: string) => {
    const s = await ort.InferenceSession.create(copy, { executionProviders: [ep], graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
    try {
      return await s.run(feeds);
    } finally {
      await s.release();
    }
  };
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  console.log(`${net} of ${dir} (${target} graph, fp32): ${outputs.length} float values compared, WebGPU against the CPU`);
  let shown = 0;
  for (const o of outputs) {
    const a = cpu[o].data as Float32Array;
    const b = gpu[o].data as Float32Array;
    let err = 0;
    let ref = 1;
    for (let i = 0; i < a.length; i++) {
      err = Math.max(err, Math.abs(a[i] - b[i]));
      ref = Math.max(ref, Math.abs(a[i]));
    }
    if (err > 1e-3 * ref && shown++ < show) console.log(`  ${node.get(o)} -> [${cpu[o].dims.join(',')}]: max |err| ${err.toExponential(2)} (max |CPU| ${ref.toFixed(2)})`);
  }
  if (shown === 0) console.log('  every node within 1e-3 relative');
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
