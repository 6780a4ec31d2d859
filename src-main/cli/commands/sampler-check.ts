import type { Command } from 'commander';
import { DEVICES, type Device } from '../../../src-shared/settings.ts';
import { findModel } from '../../models/manager.ts';
import { resolveArch } from '../../worker/inference/arch.ts';
import { PRECISIONS, type Precision } from '../../worker/inference/build.ts';
import { SAMPLER_CHECK_DEFAULTS, type SamplerProblem, runSamplerCheck, vectorsProblem } from '../../worker/inference/sampler-check.ts';
import { alignFaces } from '../../worker/pipeline/align.ts';
import { alignedFaceOf } from '../../worker/pipeline/aligned-input.ts';
import { decodePhoto } from '../../worker/pipeline/decode.ts';
import { cacheDir } from '../../util/app-paths.ts';
import { UserError } from '../../util/errors.ts';

function intList(name: string, value: string, min: number): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || !list.every((n) => Number.isInteger(n) && n >= min)) throw new UserError(`--${name} must be a comma-separated list of integers >= ${min}, got ${value}`);
  return list;
}

interface FaceOptions {
  face?: string;
  model?: string;
  arch?: string;
  seed: string;
}

/**
 * The problem to integrate: a vectors folder as it is, or a checkpoint (--model, default the
 * installed one) and one aligned face (--face, resized to the model's size like an aligned photo).
 */
async function problemFrom(dir: string | undefined, opts: FaceOptions): Promise<{ problem: SamplerProblem; label: string }> {
  if (dir !== undefined) {
    if (opts.face !== undefined || opts.model !== undefined) throw new UserError('give either a vectors folder or --face (with --model), not both');
    return { problem: await vectorsProblem(dir), label: dir };
  }
  if (opts.face === undefined) throw new UserError('give a vectors folder, or --face <aligned face> to check a model (--model, default the installed one)');
  const seed = Number(opts.seed);
  if (!Number.isSafeInteger(seed)) throw new UserError(`--seed must be an integer, got ${opts.seed}`);
  const model = opts.model ?? findModel()?.path;
  if (model === undefined) throw new UserError('no model installed: run heirloom models install, or pass --model <checkpoint>');
  const { config: arch } = resolveArch(opts.arch);
  const photo = await decodePhoto(opts.face);
  const { width, height } = photo.image;
  const aligned = await alignFaces(photo.image, [alignedFaceOf(width, height, opts.face)], arch.image_size);
  return { problem: { checkpoint: model, arch, y: aligned.faces, seed }, label: `${model} on ${opts.face} (seed ${seed})` };
}

/** `heirloom sampler-check [vectors-dir] [--face F --model M]`: each sampler's solver error against a fine reference. */
export function register(program: Command): void {
  program
    .command('sampler-check')
    .description(
      "Solver accuracy of each flow sampler on a parity-vectors folder's network (error against a fine heun reference, fitted order) and the consistency guidance; not a measure of image quality",
    )
    .argument('[vectors-dir]', 'a PMRF vectors folder (tiny or full format)')
    .option('--face <png>', 'instead of a vectors folder: one aligned face (square; resized to the model size), x_0 from the model as a restore starts it')
    .option('--model <file>', 'with --face: the checkpoint (default: the installed model)')
    .option('--arch <preset|file>', 'with --face: architecture preset name or meta.json/config file')
    .option('--seed <n>', "with --face: the flow's noise seed", '0')
    .option('--reference-steps <n>', 'heun steps of the reference solution (2 evaluations each)', String(SAMPLER_CHECK_DEFAULTS.referenceSteps))
    .option('--evals <list>', 'evaluation budgets compared', SAMPLER_CHECK_DEFAULTS.evals.join(','))
    .option('--precision <p>', `network precision (${PRECISIONS.join('|')})`, 'fp32')
    .option('--device <d>', `execution provider (${DEVICES.join('|')})`, 'cpu')
    .option('--cache-dir <dir>', 'build cache root (default: the app cache folder)')
    .option('--json', 'print the report as JSON on stdout')
    .action(async (dir: string | undefined, opts: FaceOptions & { referenceSteps: string; evals: string; precision: string; device: string; cacheDir?: string; json?: boolean }) => {
      if (!PRECISIONS.includes(opts.precision as Precision)) throw new UserError(`--precision must be one of ${PRECISIONS.join(', ')}`);
      if (!DEVICES.includes(opts.device as Device)) throw new UserError(`--device must be one of ${DEVICES.join(', ')}`);
      const [referenceSteps] = intList('reference-steps', opts.referenceSteps, 1);
      const evals = intList('evals', opts.evals, 1);
      const log = (s: string) => (opts.json ? process.stderr : process.stdout).write(`${s}\n`);
      const { problem, label } = await problemFrom(dir, opts);
      const started = performance.now();
      const report = await runSamplerCheck(problem, {
        device: opts.device as Device,
        precision: opts.precision as Precision,
        cacheDir: opts.cacheDir ?? cacheDir(),
        referenceSteps,
        evals,
        lambdas: SAMPLER_CHECK_DEFAULTS.lambdas,
        block: SAMPLER_CHECK_DEFAULTS.block,
        onStatus: (m) => log(`  .. ${m}`),
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      const out = (s: string) => process.stdout.write(`${s}\n`);
      out(`sampler-check ${label}: RMS error of x at t = 1 against heun with ${referenceSteps} steps (solver accuracy, not image quality)`);
      for (const s of report.samplers) {
        const pts = s.points.map((p) => `${p.evals}: ${p.err.toExponential(2)}`).join('  ');
        out(`  ${s.name.padEnd(11)} (${s.evalsPerStep}/step)  ${pts}  order ${s.order.toFixed(2)}`);
      }
      out(`  guidance at 4 euler evaluations, blocks of ${SAMPLER_CHECK_DEFAULTS.block} px, y = the input face: ‖A x − y‖ (max |x|)`);
      for (const g of report.guidance) out(`    λ = ${String(g.lambda).padEnd(6)} ${g.consistency.toExponential(3)}  (${g.maxAbs.toFixed(3)})`);
      out(`  λ = 0 vs unguided: max |diff| ${report.lambda0Diff}`);
      out(`  ${((performance.now() - started) / 1000).toFixed(1)} s`);
    });
}
