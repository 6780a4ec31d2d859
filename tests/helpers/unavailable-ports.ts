/**
 * Ports that refuse every call with a clear message instead of pretending: unit tests of the
 * services use them for the parts they do not exercise.
 */
import type { JobProgress, ModelStatus } from '../../src-shared/ipc.ts';
import { ServiceError } from '../../src-main/services/errors.ts';
import type { ExportPort, JobsPort, ModelsPort } from '../../src-main/services/ports.ts';

function missing(what: string): never {
  throw new ServiceError('failed', `${what} is not available in this build`);
}

export const unavailableJobs: JobsPort = {
  start: () => missing('the batch queue'),
  pause: () => missing('the batch queue'),
  resume: () => missing('the batch queue'),
  cancel: () => missing('the batch queue'),
  current: (): JobProgress | null => null,
  onProgress: () => () => {},
};

const noModel: ModelStatus = { installed: false, source: null, sizeBytes: null, devices: ['cpu'], activeDevice: null, secondsPerFaceEstimate: null };

export const unavailableModels: ModelsPort = {
  status: async () => noModel,
  install: async () => missing('the model download'),
  cancelInstall: () => {},
  importFile: async () => missing('the model import'),
  checkpointPath: async () => null,
};

export const unavailableExport: ExportPort = { run: async () => missing('export') };
