/**
 * The model manager's architecture check run in the test's own process (the app and the CLI run
 * the same function in the inference process): the engine's build check against an architecture.
 */
import path from 'node:path';
import type { ArchitectureCheck } from '../../src-main/models/manager.ts';
import { openSafetensors } from '../../src-main/checkpoint/safetensors.ts';
import { resolveArch } from '../../src-main/worker/inference/arch.ts';
import { checkArchitecture } from '../../src-main/worker/inference/build.ts';
import { projectFixtures } from './shared.ts';

export function inProcessArchCheck(arch: string | undefined): ArchitectureCheck {
  const { config } = resolveArch(arch);
  return async (file, label) => {
    const source = await openSafetensors(file);
    try {
      checkArchitecture(source, config, label);
    } finally {
      await source.close();
    }
  };
}

/** The tiny test checkpoint's architecture (tests/fixtures/pmrf/tiny). */
export const tinyArchCheck = inProcessArchCheck(path.join(projectFixtures, 'pmrf', 'tiny', 'meta.json'));
