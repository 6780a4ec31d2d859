/**
 * The architecture check of a checkpoint before it is installed: the same check a build runs
 * first (inference/build.ts), so a file that would fail at the first restore is refused at import.
 */
import { resolveArch } from '../inference/arch.ts';
import { checkArchitecture } from '../inference/build.ts';
import { openSafetensors } from '../../checkpoint/safetensors.ts';
import type { Handlers } from './context.ts';

export const checkpointHandlers: Handlers<'checkCheckpoint'> = {
  checkCheckpoint: async ({ checkpoint, arch, label }) => {
    const { config } = resolveArch(arch ?? undefined);
    const source = await openSafetensors(checkpoint);
    try {
      checkArchitecture(source, config, label);
      return { tensors: source.list().length };
    } finally {
      await source.close();
    }
  },
};
