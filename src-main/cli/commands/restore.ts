import type { Command } from 'commander';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_SETTINGS,
  DEFAULT_STEPS_GPU,
  DEVICES,
  type Device,
  OUTPUT_FORMATS,
  type OutputFormat,
  PAIR_MODES,
  type PairMode,
  RESTORE_MODES,
  type RestoreMode,
  SCALES,
  type BackgroundScale,
} from '../../../src-shared/settings.ts';
import { createPmrfRestorer } from '../../inference/pmrf-restorer.ts';
import type { FaceRestorer } from '../../pipeline/face-restorer.ts';
import { expandInputs, outputPathsFor } from '../../pipeline/inputs.ts';
import { type RestorePhotoResult, type Settings, type Stage, restorePhoto } from '../../pipeline/restore-photo.ts';
import { UserError } from '../../util/errors.ts';

/**
 * `heirloom restore <files or folders...> -o <dir>`: every photo through the pipeline with the PMRF
 * restorer. A failing photo is reported and the rest continue; Ctrl-C stops between stages.
 */

interface RestoreCliOptions {
  output: string;
  steps?: string;
  seed: string;
  mode: string;
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
}

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`--${name} must be an integer from ${min} to ${max}, got ${value}`);
  return n;
}

function choice<T extends string>(name: string, value: string, allowed: readonly T[], aliases: Record<string, T> = {}): T {
  const v = aliases[value.toLowerCase()] ?? value.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) throw new UserError(`--${name} must be one of ${allowed.join(', ')}, got ${value}`);
  return v as T;
}

export interface ParsedRestoreOptions {
  settings: Settings & { pairs: PairMode; device: Device };
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
      steps: o.steps === undefined ? defaultSteps : intOption('steps', o.steps, 1, 100),
      seed: intOption('seed', o.seed, 0, 2 ** 32 - 1),
      mode: choice<RestoreMode>('mode', o.mode, RESTORE_MODES),
      scale: scale as BackgroundScale,
      format: choice<OutputFormat>('format', o.format, OUTPUT_FORMATS, { jpeg: 'jpg', tif: 'tiff' }),
      quality: intOption('quality', o.quality, 1, 100),
      pairs: choice<PairMode>('pairs', o.pairs, PAIR_MODES),
      device,
    },
    faceSize,
  };
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A one-line bar on a terminal; nothing when stderr is not a terminal (logs stay clean). */
function progressBar(total: number, stream: NodeJS.WriteStream) {
  const start = performance.now();
  let done = 0;
  const draw = (name: string, stage: string) => {
    if (!stream.isTTY) return;
    const width = 24;
    const filled = Math.round((width * done) / Math.max(1, total));
    const elapsed = performance.now() - start;
    const eta = done > 0 ? `  ETA ${clock((elapsed / done) * (total - done))}` : '';
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}  ${name}  ${stage}${eta}\x1b[K`);
  };
  return {
    stage: (name: string, stage: string) => draw(name, stage),
    photoDone: () => {
      done++;
    },
    line: (text: string) => {
      if (stream.isTTY) stream.write('\r\x1b[K');
      stream.write(text + '\n');
    },
    finish: () => {
      if (stream.isTTY) stream.write('\r\x1b[K');
    },
  };
}

function summary(r: RestorePhotoResult) {
  const ms = Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v)]));
  return {
    input: r.inputPath,
    output: r.outputPath,
    pairs: r.pairs,
    width: r.outputWidth,
    height: r.outputHeight,
    tone: r.tone,
    faces: r.faces.length,
    restoredFaces: r.faces.filter((f) => f.restored).length,
    skippedFaces: r.faces.filter((f) => f.skipped).length,
    timingsMs: ms,
  };
}

export function register(program: Command): void {
  program
    .command('restore')
    .description('Restore the faces in photos (files or folders) and write the results to a folder')
    .argument('<inputs...>', 'image files or folders')
    .requiredOption('-o, --output <dir>', 'output folder (created if missing)')
    .option('--steps <K>', 'PMRF flow steps 1..100 (default: 4 on CPU/auto, 25 on a GPU)')
    .option('--seed <S>', 'noise seed (same seed, same result)', String(DEFAULT_SETTINGS.seed))
    .option('--mode <mode>', 'flow (realistic) or mean (faithful posterior mean)', DEFAULT_SETTINGS.mode)
    .option('--scale <k>', 'background scale 1, 2 or 4', String(DEFAULT_SETTINGS.scale))
    .option('--format <fmt>', 'jpg, png, tiff or webp', DEFAULT_SETTINGS.format)
    .option('--quality <Q>', 'JPEG/WebP quality 1..100', String(DEFAULT_SETTINGS.quality))
    .option('--pairs <mode>', 'before/after pairs: none, side-by-side or files', DEFAULT_SETTINGS.pairs)
    .option('--model <file>', 'PMRF checkpoint (.safetensors); default: the installed model')
    .option('--arch <preset|file>', 'architecture preset name or meta.json/config file')
    .option('--device <device>', 'auto, cpu, cuda, dml or coreml', DEFAULT_SETTINGS.device)
    .option('--face-size <px>', 'aligned face size the model runs at', '512')
    .option('--recursive', 'also take images from subfolders')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (inputs: string[], opts: RestoreCliOptions) => {
      const { settings, faceSize } = parseRestoreOptions(opts);
      const files = await expandInputs(inputs, { recursive: opts.recursive });
      if (files.length === 0) throw new UserError('no image files found in the given inputs');
      const outDir = path.resolve(opts.output);
      const outputs = outputPathsFor(files, outDir, settings.format);

      const bar = progressBar(files.length, process.stderr);
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(130);
        bar.line('stopping after the current stage (Ctrl-C again to quit now)');
        controller.abort();
      };
      process.on('SIGINT', onSigint);

      let restorer: FaceRestorer | undefined;
      const results: RestorePhotoResult[] = [];
      const failed: { input: string; error: string }[] = [];
      let cancelled = false;
      const t0 = performance.now();
      try {
        bar.stage('', 'loading model');
        restorer = await createPmrfRestorer({ model: opts.model, arch: opts.arch, device: settings.device, imageSize: faceSize, onStatus: (m) => bar.line(m) });
        for (let i = 0; i < files.length; i++) {
          const name = path.basename(files[i]);
          try {
            const r = await restorePhoto(files[i], outputs[i], restorer, settings, {
              signal: controller.signal,
              pairs: settings.pairs,
              onStage: (s: Stage) => bar.stage(name, s),
            });
            results.push(r);
            if (!opts.json) {
              const skipped = r.faces.filter((f) => f.skipped).length;
              bar.line(`${name} -> ${r.outputPath}  (${r.faces.length - skipped} face(s) restored${skipped ? `, ${skipped} too small` : ''})`);
            }
          } catch (err) {
            if (controller.signal.aborted) {
              cancelled = true;
              break;
            }
            const message = err instanceof Error ? err.message : String(err);
            failed.push({ input: files[i], error: message });
            bar.line(`${name}: FAILED ${message}`);
          }
          bar.photoDone();
        }
      } finally {
        process.off('SIGINT', onSigint);
        bar.finish();
        await restorer?.dispose();
      }
      const totalMs = Math.round(performance.now() - t0);
      if (opts.json) {
        const report = { restorer: restorer?.description, settings, photos: results.map(summary), failed, cancelled, totalMs };
        process.stdout.write(JSON.stringify(report) + '\n');
      } else {
        process.stderr.write(
          `${results.length} restored, ${failed.length} failed${cancelled ? ', cancelled' : ''} in ${clock(totalMs)}; output in ${outDir}\n`,
        );
      }
      if (cancelled) process.exitCode = 130;
      else if (failed.length > 0) process.exitCode = 1;
    });
}
