/**
 * A PMRF checkpoint for any architecture configuration, with the parity vectors' formula weights
 * (src-main/checkpoint/formula.ts): a folder with checkpoint.safetensors and meta.json, the shape
 * of tests/fixtures/pmrf/tiny without reference tensors. The CPU provider is the oracle for other
 * providers on it. Buffers the formula does not generate are computed: SwinIR's
 * relative_position_index (Swin's definition), HDiT's RoPE freqs (k-diffusion's log-spaced
 * pi..10 pi); shifted-window masks are left to the builder. `writeCpuVectors` adds the reference
 * tensors of the vectors format computed by the CPU provider, so `pmrf-check` can hold another
 * provider to them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formulaNoise, formulaTensor } from '../../src-main/checkpoint/formula.ts';
import { MMSE_NOISE_STD, PmrfEngine } from '../../src-main/worker/inference/engine.ts';
import { writeSafetensors, type TensorToWrite } from '../../src-main/checkpoint/safetensors-writer.ts';
import type { ArchConfig } from '../../src-main/worker/inference/arch.ts';
import { hditTensors } from '../../src-main/worker/inference/hdit.ts';
import { swinirTensors } from '../../src-main/worker/inference/swinir.ts';

function relativePositionIndex(ws: number): BigInt64Array {
  const T = ws * ws;
  const out = new BigInt64Array(T * T);
  for (let i = 0; i < T; i++)
    for (let j = 0; j < T; j++) {
      const dh = Math.floor(i / ws) - Math.floor(j / ws) + ws - 1;
      const dw = (i % ws) - (j % ws) + ws - 1;
      out[i * T + j] = BigInt(dh * (2 * ws - 1) + dw);
    }
  return out;
}

function ropeFreqs(heads: number, perHead: number): Float32Array {
  const n = heads * perHead;
  const out = new Float32Array(n);
  // k-diffusion: exp(linspace(log pi, log 10 pi, n + 1)[:-1]).view(perHead, heads).T
  for (let h = 0; h < heads; h++) for (let j = 0; j < perHead; j++) out[h * perHead + j] = Math.exp(Math.log(Math.PI) + (Math.log(10) * (j * heads + h)) / n);
  return out;
}

/** Writes `dir`/checkpoint.safetensors and `dir`/meta.json for `arch`. */
export async function writeFormulaCheckpoint(dir: string, arch: ArchConfig, flowSteps = 2): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const tensors: TensorToWrite[] = [];
  for (const spec of [...swinirTensors(arch.swinir), ...hditTensors(arch.hdit)]) {
    if (spec.optional) continue;
    if (spec.name.endsWith('relative_position_index')) tensors.push({ name: spec.name, dtype: 'I64', shape: spec.shape, data: relativePositionIndex(arch.swinir.window_size) });
    else if (spec.name.endsWith('pos_emb.freqs')) tensors.push({ name: spec.name, dtype: 'F32', shape: spec.shape, data: ropeFreqs(spec.shape[0], spec.shape[1]) });
    else tensors.push({ name: spec.name, dtype: 'F32', shape: spec.shape, data: formulaTensor(spec.name, spec.shape) });
  }
  await writeSafetensors(path.join(dir, 'checkpoint.safetensors'), tensors);
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ config: arch, flow_steps: flowSteps, mmse_noise_std: 0.1 }, null, 1));
}

const bin = (dir: string, name: string, data: Float32Array) => writeFileSync(path.join(dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));

/**
 * A vectors folder for `arch` whose reference tensors come from the CPU provider (fp32): y (a
 * smooth test pattern), noise, mmse_raw, x_0, v_probe_t0.3, x_1..x_K, restored.
 */
export async function writeCpuVectors(dir: string, arch: ArchConfig, flowSteps = 2): Promise<void> {
  await writeFormulaCheckpoint(dir, arch, flowSteps);
  const S = arch.image_size;
  const n = 3 * S * S;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.5 + 0.35 * Math.sin(i * 0.013) * Math.cos(i * 0.0071 + (i % S) * 0.05);
  const noise = formulaNoise(n);
  const cacheDir = mkdtempSync(path.join(dir, '.cache-'));
  const engine = await PmrfEngine.create({ checkpoint: dir, arch, imageSize: S, precision: 'fp32', device: 'cpu', cacheDir });
  try {
    const mmse = await engine.runSwinir(y, 1);
    const mean = mmse.map((m) => Math.min(1, Math.max(0, m)));
    const x0 = mean.map((m, i) => m + MMSE_NOISE_STD * noise[i]);
    const states: Float32Array[] = [];
    const { restored } = await engine.flowFrom(mean, 1, { steps: flowSteps, noise, onStep: (_i, _k, x) => states.push(x.slice()) });
    bin(dir, 'y.bin', y);
    bin(dir, 'noise.bin', noise);
    bin(dir, 'mmse_raw.bin', mmse);
    bin(dir, 'x_0.bin', x0);
    bin(dir, 'v_probe_t0.3.bin', await engine.runHdit(x0, 0.3, 1));
    states.forEach((x, i) => bin(dir, `x_${i + 1}.bin`, x));
    bin(dir, 'restored.bin', restored);
  } finally {
    await engine.dispose();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
