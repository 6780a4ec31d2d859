import type { Command } from 'commander';
import { DEVICES, type Device } from '../../../src-shared/settings.ts';
import { PRECISIONS, type Precision } from '../../worker/inference/build.ts';
import { runParityCheck, type ParityLine } from '../../worker/inference/parity.ts';
import { cacheDir } from '../../util/app-paths.ts';
import { UserError } from '../../util/errors.ts';

function formatLine(l: ParityLine): string {
  const tol = l.tolerance === undefined ? 'report only' : `<= ${l.tolerance.toExponential(1)}`;
  const status = l.tolerance === undefined ? 'INFO' : l.pass ? 'PASS' : 'FAIL';
  return `  ${l.name.padEnd(16)} max|err| ${l.maxAbsErr.toExponential(3).padStart(10)}  ${tol.padEnd(12)} ${status}`;
}

/** `heirloom pmrf-check <vectors-dir>`: the engine against PMRF's reference tensors. */
export function register(program: Command): void {
  program
    .command('pmrf-check')
    .description('Build the PMRF networks from a parity-vectors folder and compare every stage with its reference tensors')
    .argument('<vectors-dir>', 'a PMRF vectors folder (tiny: checkpoint.safetensors; full: keys.json + kept.safetensors)')
    .option('--precision <p>', `network precision (${PRECISIONS.join('|')})`, 'fp32')
    .option('--device <d>', `execution provider (${DEVICES.join('|')})`, 'cpu')
    .option('--cache-dir <dir>', 'build cache root (default: the app cache folder)')
    .action(async (dir: string, opts: { precision: string; device: string; cacheDir?: string }) => {
      if (!PRECISIONS.includes(opts.precision as Precision)) throw new UserError(`--precision must be one of ${PRECISIONS.join(', ')}`);
      if (!DEVICES.includes(opts.device as Device)) throw new UserError(`--device must be one of ${DEVICES.join(', ')}`);
      const out = (s: string) => process.stdout.write(`${s}\n`);
      out(`pmrf-check ${dir} (${opts.precision}, device ${opts.device})`);
      const report = await runParityCheck(dir, {
        precision: opts.precision as Precision,
        device: opts.device as Device,
        cacheDir: opts.cacheDir ?? cacheDir(),
        onStatus: (m) => out(`  .. ${m}`),
        onLine: (l) => out(formatLine(l)),
      });
      const fallback = report.fallbackReason === undefined ? '' : ` (GPU not used: ${report.fallbackReason})`;
      out(`  provider ${report.provider}${fallback}; image ${report.imageSize}px, ${report.steps} flow steps`);
      const t = report.timings;
      const fmt = (k: string) => `${(t[k] ?? 0).toFixed(2)} s`;
      out(`  timings: ${report.buildReused ? 'load (cached build)' : 'build+load'} ${fmt('build+load')}, SwinIR ${fmt('swinir')}, HDiT ${fmt('hdit')}, flow ${fmt('flow')} (${((t.flow ?? 0) / report.steps).toFixed(2)} s/step)`);
      const failed = report.lines.filter((l) => !l.pass).map((l) => l.name);
      // A check of a provider that ran on another one checked nothing about it.
      if (opts.device !== 'auto' && report.provider !== opts.device) failed.push(`asked for ${opts.device}, ran on ${report.provider}`);
      out(failed.length === 0 ? 'PASS' : `FAIL (${failed.join(', ')})`);
      if (failed.length > 0) process.exitCode = 1;
    });
}
