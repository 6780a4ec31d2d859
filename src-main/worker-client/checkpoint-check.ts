/**
 * The model manager's architecture check (models/manager.ts ArchitectureCheck) run by the
 * inference process: the engine's own build check, which the main process may not import.
 */
import path from 'node:path';
import type { ArchitectureCheck } from '../models/manager.ts';
import { UserError } from '../util/errors.ts';
import { WorkerCallError, type InferenceWorker } from './client.ts';

/** `arch`: a preset name or an absolute meta.json path; null = the published model's preset. */
export function workerArchitectureCheck(worker: InferenceWorker, arch: string | null): ArchitectureCheck {
  return async (file, label) => {
    try {
      await worker.call('checkCheckpoint', { checkpoint: path.resolve(file), arch, label });
    } catch (err) {
      if (err instanceof WorkerCallError && err.kind === 'user') throw new UserError(err.message);
      throw err;
    }
  };
}
