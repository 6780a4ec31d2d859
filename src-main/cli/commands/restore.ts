import type { Command } from 'commander';
import path from 'node:path';
import {
  type AlignedMode,
  DEFAULT_SETTINGS,
  DEFAULT_STEPS_GPU,
  DEVICES,
  type Device,
  MAX_CONSISTENCY,
  OUTPUT_FORMATS,
  type OutputFormat,
  PAIR_MODES,
  type PairMode,
  RESTORE_MODES,
  SAMPLERS,
  type SamplerName,
  SCALES,
  type BackgroundScale,
} from '../../../src-shared/settings.ts';
import { MAX_SEED, MAX_STEPS, MIN_STEPS } from '../../../src-shared/rules.ts';
import { findImages } from '../../util/find-images.ts';
import { outputFolderProblem } from '../../util/real-path.ts';
import type { Settings } from '../../worker/pipeline/restore-photo.ts';
import { UserError } from '../../util/errors.ts';
import { restoreBatch } from './restore-batch.ts';

/**
 * `heirloom restore <files or folders...> -o <dir>`: every photo through the pipeline with the PMRF
 * restorer, through the persistent batch queue. A failing photo is reported and the rest continue;
 * Ctrl-C stops, and rerunning the same command resumes.
 */

interface RestoreCliOptions {
  output: string;
  steps?: string;
  seed: string;
  fidelity?: string;
  /** Before --fidelity: flow = --fidelity 1, mean = --fidelity 0. */
  mode?: string;
  sampler: string;
  strength: string;
  consistency: string;
  scale: string;
  format: string;
  quality: string;
  pairs: string;
  model?: string;
  arch?: string;
  device: string;
  faceSize: string;
  recursive?: boolean;
  json?: boolean;
  pairLabels?: boolean;
  /** --aligned: true; --no-aligned: false; neither: offered when the photo looks aligned. */
  aligned?: boolean;
  /** --repair / --no-repair; neither: the default setting. */
  repair?: boolean;
  /** --fix-colour / --no-fix-colour; neither: the default setting. */
  fixColour?: boolean;
}

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`--${name} must be an integer from ${min} to ${max}, got ${value}`);
  return n;
}

function unitOption(name: string, value: string, allowZero: boolean): number {
  const n = Number(value);
  const ok = value.trim() !== '' && Number.isFinite(n) && n <= 1 && (allowZero ? n >= 0 : n > 0);
  if (!ok) throw new UserError(`--${name} must be a number ${allowZero ? 'from 0' : 'above 0 and up'} to 1, got ${value}`);
  return n;
}

function consistencyOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > MAX_CONSISTENCY) throw new UserError(`--consistency must be a number from 0 to ${MAX_CONSISTENCY}, got ${value}`);
  return n;
}

/** --fidelity, or the older --mode (flow = 1, mean = 0). */
function fidelityOption(o: RestoreCliOptions): number {
  if (o.fidelity !== undefined && o.mode !== undefined) throw new UserError('give --fidelity or --mode, not both (--mode flow is --fidelity 1, --mode mean is --fidelity 0)');
  if (o.mode !== undefined) return choice('mode', o.mode, RESTORE_MODES) === 'mean' ? 0 : 1;
  return o.fidelity === undefined ? DEFAULT_SETTINGS.fidelity : unitOption('fidelity', o.fidelity, true);
}

function choice<T extends string>(name: string, value: string, allowed: readonly T[], aliases: Record<string, T> = {}): T {
  const v = aliases[value.toLowerCase()] ?? value.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) throw new UserError(`--${name} must be one of ${allowed.join(', ')}, got ${value}`);
  return v as T;
}

export interface ParsedRestoreOptions {
  settings: Settings & { pairs: PairMode; device: Device; aligned: AlignedMode; repair: boolean; fixColour: boolean };
  faceSize: number;
}

export function parseRestoreOptions(o: RestoreCliOptions): ParsedRestoreOptions {
  const device = choice<Device>('device', o.device, DEVICES);
  // K=25 is ~12 TFLOP per face: right on a GPU, minutes on a CPU (see PRODUCT.md budgets).
  const defaultSteps = device === 'cpu' || device === 'auto' ? DEFAULT_SETTINGS.steps : DEFAULT_STEPS_GPU;
  const scale = intOption('scale', o.scale, 1, 4);
  if (!(SCALES as readonly number[]).includes(scale)) throw new UserError(`--scale must be one of ${SCALES.join(', ')}, got ${o.scale}`);
  const faceSize = intOption('face-size', o.faceSize, 64, 2048);
  if (faceSize % 64 !== 0) throw new UserError(`--face-size must be a multiple of 64, got ${o.faceSize}`);
  return {
    settings: {
      steps: o.steps === undefined ? defaultSteps : intOption('steps', o.steps, MIN_STEPS, MAX_STEPS),
      seed: intOption('seed', o.seed, 0, MAX_SEED),
      fidelity: fidelityOption(o),
      sampler: choice<SamplerName>('sampler', o.sampler, SAMPLERS),
      strength: unitOption('strength', o.strength, false),
      consistency: consistencyOption(o.consistency),
      scale: scale as BackgroundScale,
      format: choice<OutputFormat>('format', o.format, OUTPUT_FORMATS, { jpeg: 'jpg', tif: 'tiff' }),
      quality: intOption('quality', o.quality, 1, 100),
      pairs: choice<PairMode>('pairs', o.pairs, PAIR_MODES),
      device,
      aligned: o.aligned === true ? 'always' : o.aligned === false ? 'never' : 'auto',
      repair: o.repair ?? DEFAULT_SETTINGS.repair,
      fixColour: o.fixColour ?? DEFAULT_SETTINGS.fixColour,
    },
    faceSize,
  };
}

export function register(program: Command): void {
  program
    .command('restore')
    .description('Restore the faces in photos (files or folders) and write the results to a folder')
    .argument('<inputs...>', 'image files or folders')
    .requiredOption('-o, --output <dir>', 'output folder (created if missing)')
    .option('--steps <K>', `PMRF flow steps (network evaluations) ${MIN_STEPS}..${MAX_STEPS} (default: 4 on CPU/auto, 25 on a GPU)`)
    .option('--seed <S>', 'noise seed (same seed, same result)', String(DEFAULT_SETTINGS.seed))
    .option('--fidelity <lambda>', `faithful 0 .. 1 realistic: the face between the posterior mean (0) and the flow result (1) (default: ${DEFAULT_SETTINGS.fidelity})`)
    .option('--sampler <name>', `flow sampler: ${SAMPLERS.join(', ')} (--steps counts its network evaluations)`, DEFAULT_SETTINGS.sampler)
    .option('--strength <s>', 'share of the flow that runs, above 0 up to 1: it starts nearer the posterior mean and costs ceil(steps * s) evaluations', String(DEFAULT_SETTINGS.strength))
    .option('--consistency <lambda>', 'hold small faces (2x or more below the model size) to the photo\'s block averages: 0 = off, 4 gentle, 1e4 exact', String(DEFAULT_SETTINGS.consistency))
    .option('--mode <mode>', 'older form of --fidelity: flow (= 1) or mean (= 0)')
    .option('--scale <k>', 'background scale 1, 2 or 4', String(DEFAULT_SETTINGS.scale))
    .option('--format <fmt>', 'jpg, png, tiff or webp', DEFAULT_SETTINGS.format)
    .option('--quality <Q>', 'JPEG/WebP quality 1..100', String(DEFAULT_SETTINGS.quality))
    .option('--pairs <mode>', 'before/after pairs: none, side-by-side or files', DEFAULT_SETTINGS.pairs)
    .option('--model <file>', 'PMRF checkpoint (.safetensors); default: the installed model')
    .option('--arch <preset|file>', 'architecture preset name or meta.json/config file')
    .option('--device <device>', DEVICES.join(', '), DEFAULT_SETTINGS.device)
    .option('--face-size <px>', 'aligned face size the model runs at', '512')
    .option('--pair-labels', 'write "Before" and "After" on side-by-side pairs')
    .option('--aligned', 'each photo is one face already aligned to the FFHQ 512 layout: restore it whole')
    .option('--no-aligned', 'never treat a photo as an aligned face (by default a square photo whose face sits on the layout is)')
    .option('--repair', `find and fill scratches, cracks, dust and hairs before restoring faces${DEFAULT_SETTINGS.repair ? ' (the default)' : ''}`)
    .option('--no-repair', 'leave print damage as it is')
    .option('--fix-colour', `correct fading and colour casts of colour prints (gray and toned prints keep their tone)${DEFAULT_SETTINGS.fixColour ? ' (the default)' : ''}`)
    .option('--no-fix-colour', 'leave the colours as they are')
    .option('--recursive', 'also take images from subfolders')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (inputs: string[], opts: RestoreCliOptions) => {
      const { settings, faceSize } = parseRestoreOptions(opts);
      const outDir = path.resolve(opts.output);
      // Never write among the originals (through links too): the next run would restore its own outputs.
      const problem = await outputFolderProblem(outDir, inputs);
      if (problem !== null) throw new UserError(problem);
      // An output folder inside an input folder is never walked into (compared by real path).
      const found = await findImages(inputs, { recursive: opts.recursive, exclude: [outDir] });
      const missing = found.failed[0];
      if (missing !== undefined) throw new UserError(`${missing.name}: ${missing.error}`);
      const files = found.files;
      if (files.length === 0) throw new UserError('no image files found in the given inputs');
      // Through the persistent batch queue: rerunning the same command resumes (jobs/run-batch.ts).
      await restoreBatch({ inputs: files, output: outDir, settings, faceSize, model: opts.model, arch: opts.arch, json: opts.json, pairLabels: opts.pairLabels });
    });
}
