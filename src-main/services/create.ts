/**
 * Builds the services from the real modules. Shared by the Electron main process and the dev
 * server, so both run the same code; only the picker and the worker spawner differ.
 */
import path from 'node:path';
import { HeirloomServices } from './heirloom-services.ts';
import { MemoryLibrary } from './memory-library.ts';
import type { InferencePort, Picker } from './ports.ts';
import { unavailableExport, unavailableInference, unavailableJobs, unavailableModels } from './unavailable.ts';
import type { PathAllowList } from './allow-list.ts';

export interface AppServicesOptions {
  /** Per-user data folder (library database). */
  dataDir: string;
  /** Cache folder for thumbnails and previews. */
  cacheDir?: string;
  picker: Picker;
  inference?: InferencePort;
  allowList?: PathAllowList;
}

export interface AppServices {
  services: HeirloomServices;
  close(): Promise<void>;
}

export async function createAppServices(opts: AppServicesOptions): Promise<AppServices> {
  const library = new MemoryLibrary();
  const services = new HeirloomServices({
    library,
    jobs: unavailableJobs,
    models: unavailableModels,
    exporter: unavailableExport,
    inference: opts.inference ?? unavailableInference,
    picker: opts.picker,
    cacheDir: opts.cacheDir ?? path.join(opts.dataDir, 'cache'),
    allowList: opts.allowList,
  });
  return {
    services,
    close: async () => services.dispose(),
  };
}
