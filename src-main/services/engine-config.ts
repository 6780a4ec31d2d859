import type { Device } from '../../src-shared/settings.ts';
import type { EngineSpec } from '../../src-shared/worker-protocol.ts';

/**
 * Which PMRF model the app runs. The defaults are the published model, installed by the model
 * manager; tests and the dev server may point at a small checkpoint instead.
 */
export interface EngineConfig {
  /** A checkpoint to use instead of the installed model (tests, `--model`). */
  model: string | null;
  /** Architecture preset name or meta.json path; null = the published model's preset. */
  arch: string | null;
  /** Side of the aligned faces (512 for the published model). */
  faceSize: number;
}

export const DEFAULT_ENGINE: EngineConfig = { model: null, arch: null, faceSize: 512 };

export function engineSpec(config: EngineConfig, checkpoint: string, device: Device): EngineSpec {
  return { checkpoint, arch: config.arch, faceSize: config.faceSize, device };
}
