import type { Command } from 'commander';
import { register as registerModels } from './models.ts';
import { register as registerPmrfCheck } from './pmrf-check.ts';
import { register as registerSamplerCheck } from './sampler-check.ts';
import { register as registerDetect } from './detect.ts';
import { register as registerRestore } from './restore.ts';
import { register as registerBatch } from './batch.ts';
import { register as registerRepair } from './repair.ts';
import { register as registerDevices } from './devices.ts';

/**
 * Every subcommand lives in its own file under cli/commands and exports `register(program)`.
 * Add new ones here.
 */
export function registerCommands(program: Command): void {
  registerModels(program);
  registerPmrfCheck(program);
  registerSamplerCheck(program);
  registerDetect(program);
  registerRestore(program);
  registerBatch(program);
  registerRepair(program);
  registerDevices(program);
}
