import type { Command } from 'commander';
import { findModel } from '../../models/manager.ts';
import { resolveArch } from '../../worker/inference/arch.ts';
import { devicesReport, type DevicesReport, type ProviderFacts } from '../../worker/inference/devices-report.ts';
import { PmrfEngine } from '../../worker/inference/engine.ts';
import { faceSeconds } from '../../worker/inference/pass-times.ts';
import { cacheDir as defaultCacheDir } from '../../util/app-paths.ts';
import { UserError } from '../../util/errors.ts';

const e = (x: number) => x.toExponential(1);
const s = (x: number) => `${x.toFixed(x < 1 ? 3 : 2)} s`;

function providerLine(p: ProviderFacts): string {
  const where = !p.offered ? 'not offered' : p.bundled ? 'offered, bundled' : `offered, library ${p.libraryPresent ? 'present' : 'not installed'}`;
  const loads = p.loads === null ? 'not tried' : p.loads ? 'loads and computes the probe' : 'does not load';
  return `  ${p.provider.padEnd(7)} ${where.padEnd(34)} ${loads}${p.reason !== undefined && !p.loads ? `: ${p.reason}` : ''}`;
}

function print(r: DevicesReport, steps: number, out: (line: string) => void): void {
  out(`onnxruntime-node ${r.onnxruntime} on ${r.platform}`);
  out('providers:');
  for (const p of r.providers) out(providerLine(p));
  const software = r.adapter.software === true ? ' (software: runs on the CPU, never chosen by auto)' : r.adapter.software === null ? ' (whether it is a software one is known only after the self-check)' : '';
  out(`WebGPU adapter: ${r.adapter.name}${software}`);
  out(`auto runs on: ${r.auto.order[0]}${r.auto.order.length > 1 ? ` (then ${r.auto.order.slice(1).join(', ')})` : ''}`);
  for (const reason of r.auto.skipped) out(`  not used: ${reason}`);
  if (r.checks.length === 0) out('self-checks: none yet (a GPU is checked before its first restore, or with --check)');
  for (const c of r.checks) {
    const verdict = c.ok ? 'PASS' : `FAIL: ${c.reason}`;
    out(`self-check ${c.provider}${c.adapter ? ` on ${c.adapter}` : ''} (model build ${c.build.slice(0, 12)}, onnxruntime ${c.onnxruntime}, ${c.checkedAt}): ${verdict}`);
    out(`  max |GPU - CPU|: SwinIR ${e(c.maxErr.swinir)}, HDiT ${e(c.maxErr.hdit)} (tolerance ${e(c.tolerance)})`);
    const nodes = (m: Record<string, number>) => (Object.keys(m).length === 0 ? 'not profiled' : Object.entries(m).map(([k, v]) => `${v} on ${k}`).join(', '));
    out(`  nodes: SwinIR ${nodes(c.placement.swinir)}; HDiT ${nodes(c.placement.hdit)}`);
    out(`  one pass (measured): SwinIR ${s(c.seconds.swinir)}, HDiT ${s(c.seconds.hdit)}; on the CPU ${s(c.cpuSeconds.swinir)}, ${s(c.cpuSeconds.hdit)}`);
  }
  const times = Object.entries(r.passTimes);
  if (times.length === 0) out('time per face: not measured yet on this machine (the first restore or a self-check measures it)');
  for (const [provider, t] of times) out(`time per face on ${provider} at K = ${steps}: ${s(faceSeconds(t, steps))} (SwinIR ${s(t.swinir)} + ${steps} x HDiT ${s(t.hdit)}; measured by the ${t.source}, ${t.at})`);
}

/** `heirloom devices`: what this machine offers for restoring faces. */
export function register(program: Command): void {
  program
    .command('devices')
    .description("What this machine offers: each execution provider, the WebGPU adapter, what auto picks and why, the GPU self-checks and the measured time per face")
    .option('--model <file>', 'checkpoint for --check and the time per face (default: the installed model)')
    .option('--arch <preset|file>', 'architecture preset name or meta.json/config file')
    .option('--face-size <n>', 'side of the aligned faces', '512')
    .option('--steps <k>', 'flow steps for the time per face', '4')
    .option('--check', 'run the self-check now on every GPU provider that loads (once per model; slow on a software adapter)')
    .option('--cache-dir <dir>', 'build cache root (default: the app cache folder)')
    .option('--json', 'print the facts as JSON')
    .action(async (opts: { model?: string; arch?: string; faceSize: string; steps: string; check?: boolean; cacheDir?: string; json?: boolean }) => {
      const out = (line: string) => process.stdout.write(`${line}\n`);
      const faceSize = Number(opts.faceSize);
      const steps = Number(opts.steps);
      if (!Number.isInteger(faceSize) || faceSize < 64 || faceSize % 64 !== 0) throw new UserError(`--face-size must be a multiple of 64, got ${opts.faceSize}`);
      if (!Number.isInteger(steps) || steps < 1) throw new UserError(`--steps must be a positive integer, got ${opts.steps}`);
      const cacheDir = opts.cacheDir ?? defaultCacheDir();
      const { config } = resolveArch(opts.arch);
      const model = opts.model ?? findModel()?.path;
      let report = await devicesReport(cacheDir, { arch: config, faceSize });
      if (opts.check) {
        if (model === undefined) throw new UserError('--check needs a model: install it (heirloom models install) or pass --model');
        for (const p of report.providers.filter((x) => x.provider !== 'cpu' && x.loads === true)) {
          if (!opts.json) out(`checking ${p.provider} with ${model} at ${faceSize}px...`);
          const engine = await PmrfEngine.create({ checkpoint: model, arch: config, imageSize: faceSize, device: p.provider, cacheDir, onStatus: (m) => !opts.json && out(`  .. ${m}`) });
          await engine.dispose();
        }
        report = await devicesReport(cacheDir, { arch: config, faceSize });
      }
      if (opts.json) out(JSON.stringify({ ...report, model: model ?? null }, null, 1));
      else {
        print(report, steps, out);
        if (model === undefined) out('no model installed: node placement, the self-check and the time per face need one (heirloom models install)');
      }
    });
}
