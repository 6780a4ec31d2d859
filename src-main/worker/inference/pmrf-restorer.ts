/**
 * The PMRF engine behind the pipeline's FaceRestorer interface.
 */
import { faceSeed } from '../../../src-shared/rules.ts';
import type { Device } from '../../../src-shared/settings.ts';
import { needsFlow, type FaceRestorer, type RestoredFaces, type RestoreOptions } from '../pipeline/face-restorer.ts';
import { resolveArch } from './arch.ts';
import { checkpointRef, type Precision } from './build.ts';
import { PmrfEngine } from './engine.ts';
import { ConsistencyGuidance, consistencyTarget } from './guidance.ts';
import { measuredPassTimes, recordPassTimes } from './pass-times.ts';
import { cacheDir as defaultCacheDir } from '../../util/app-paths.ts';

export interface PmrfRestorerOptions {
  /** Checkpoint (.safetensors) or PMRF vectors folder (the caller resolves the installed model). */
  model: string;
  /** Architecture preset name or config JSON path; default: the blind-face preset. */
  arch?: string;
  device: Device;
  /** Side of the aligned faces (512 for the published model; any multiple of 64). */
  imageSize: number;
  precision?: Precision;
  /** Build cache root (default: the app's cache folder). */
  cacheDir?: string;
  onStatus?: (message: string) => void;
  /** Most faces per model call; default by provider (see facesPerCall). */
  maxFacesPerCall?: number;
}

/**
 * Faces per model call. Memory grows with the batch (full model at 512 on the CPU: peak RSS
 * 1.9 GB for one face, 2.75 GB for four) while the CPU gains nothing from it (bench/engine:
 * 1.00-1.05x the per-face time at batch 4), so a class photo of 30 faces must not go in one call.
 * GPUs do gain from batching, within their memory.
 */
export function facesPerCall(provider: string): number {
  return provider === 'cpu' ? 2 : 8;
}

/** The guidance for faces start..start+m of a batch: targets from their input crops. */
function guidanceFor(chunk: Float32Array, start: number, m: number, size: number, c: RestoreOptions['consistency']): ConsistencyGuidance | undefined {
  if (c === undefined || c.lambda === 0) return undefined;
  const per = 3 * size * size;
  const targets = Array.from({ length: m }, (_, i) => {
    const spec = c.faces[start + i] ?? null;
    return spec === null ? null : consistencyTarget(chunk.subarray(i * per, (i + 1) * per), size, spec);
  });
  return targets.some((t) => t !== null) ? new ConsistencyGuidance(c.lambda, targets) : undefined;
}

export async function createPmrfRestorer(opts: PmrfRestorerOptions): Promise<FaceRestorer> {
  const model = opts.model;
  const { config, name: archName } = resolveArch(opts.arch);
  const ref = await checkpointRef(model);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const engine = await PmrfEngine.create({
    checkpoint: ref,
    arch: config,
    imageSize: opts.imageSize,
    precision: opts.precision ?? 'fp32',
    device: opts.device,
    cacheDir,
    onStatus: opts.onStatus,
  });
  const fallback = engine.fallbackReason === undefined ? '' : ` (GPU not used: ${engine.fallbackReason})`;
  const maxFaces = Math.max(1, opts.maxFacesPerCall ?? facesPerCall(engine.provider));
  const description = `PMRF ${archName} sha256:${ref.id.slice(0, 12)} ${engine.precision} ${opts.imageSize}px on ${engine.provider}${fallback}`;
  return {
    faceSize: opts.imageSize,
    description,
    modelSha256: ref.id,
    async restore(faces: Float32Array, n: number, options: RestoreOptions): Promise<RestoredFaces> {
      const per = 3 * opts.imageSize * opts.imageSize;
      // Each face keeps its own seed whatever call it lands in, so results do not depend on the chunking.
      const seeds = options.seeds ?? Array.from({ length: n }, (_, i) => faceSeed(options.seed, i));
      const restored = new Float32Array(n * per);
      const mean = new Float32Array(n * per);
      // Faces at fidelity 0 are the posterior mean alone: when no face needs it, the flow does not run.
      const mode = needsFlow(options, n) ? 'flow' : 'mean';
      const strength = options.strength ?? 1;
      for (let start = 0; start < n; start += maxFaces) {
        const m = Math.min(maxFaces, n - start);
        const chunk = faces.subarray(start * per, (start + m) * per);
        const part = await engine.restoreFaces(chunk, m, {
          steps: options.steps,
          mode,
          correction: guidanceFor(chunk, start, m, opts.imageSize, options.consistency),
          sampler: options.sampler,
          start: 1 - strength,
          seeds: seeds.slice(start, start + m),
          signal: options.signal,
        });
        restored.set(part.restored, start * per);
        mean.set(part.mean, start * per);
      }
      // The time-per-face estimate: a warm measurement replaces any, a first one only fills a gap.
      const measured = engine.measuredPassSeconds();
      const key = { provider: engine.provider, arch: config, faceSize: opts.imageSize, precision: engine.precision };
      if (measured !== undefined && (measured.warm || measuredPassTimes(cacheDir, key) === undefined)) recordPassTimes(cacheDir, key, measured, 'restore');
      return { restored, mean };
    },
    dispose: () => engine.dispose(),
  };
}
