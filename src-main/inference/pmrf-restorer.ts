/**
 * The PMRF engine behind the pipeline's FaceRestorer interface.
 */
import type { Device } from '../../src-shared/settings.ts';
import type { FaceRestorer, RestoredFaces, RestoreOptions } from '../pipeline/face-restorer.ts';
import { resolveArch } from './arch.ts';
import { checkpointRef, type Precision } from './build.ts';
import { PmrfEngine } from './engine.ts';
import { resolveModel } from '../models/manager.ts';

export interface PmrfRestorerOptions {
  /** Checkpoint (.safetensors) or PMRF vectors folder; default: the installed model. */
  model?: string;
  /** Architecture preset name or config JSON path; default: the blind-face preset. */
  arch?: string;
  device: Device;
  /** Side of the aligned faces (512 for the published model; any multiple of 64). */
  imageSize: number;
  precision?: Precision;
  /** Build cache root (default: the app's cache folder). */
  cacheDir?: string;
  onStatus?: (message: string) => void;
}

export async function createPmrfRestorer(opts: PmrfRestorerOptions): Promise<FaceRestorer> {
  const model = opts.model ?? (await resolveModel());
  const { config, name: archName } = resolveArch(opts.arch);
  const ref = await checkpointRef(model);
  const engine = await PmrfEngine.create({
    checkpoint: ref,
    arch: config,
    imageSize: opts.imageSize,
    precision: opts.precision ?? 'fp32',
    device: opts.device,
    cacheDir: opts.cacheDir,
    onStatus: opts.onStatus,
  });
  const fallback = engine.fallbackReason === undefined ? '' : ` (GPU not used: ${engine.fallbackReason})`;
  const description = `PMRF ${archName} sha256:${ref.id.slice(0, 12)} ${engine.precision} ${opts.imageSize}px on ${engine.provider}${fallback}`;
  return {
    faceSize: opts.imageSize,
    description,
    restore(faces: Float32Array, n: number, options: RestoreOptions): Promise<RestoredFaces> {
      return engine.restoreFaces(faces, n, { steps: options.steps, mode: options.mode, seed: options.seed, seeds: options.seeds, signal: options.signal });
    },
    dispose: () => engine.dispose(),
  };
}
