/**
 * Builds the services from the real modules. Shared by the Electron main process and the dev
 * server, so both run the same code; only the picker and the worker spawner differ.
 */
import path from 'node:path';
import { openLibrary } from '../library/db.ts';
import { appLibraryFile } from '../library/location.ts';
import { InferenceWorker, type SpawnWorker } from '../worker/client.ts';
import { forkWorker } from '../worker/spawn-node.ts';
import type { PathAllowList } from './allow-list.ts';
import { HeirloomServices } from './heirloom-services.ts';
import type { Picker } from './ports.ts';
import { SettingsStore } from './settings-store.ts';
import { SqliteLibrary } from './sqlite-library.ts';
import { unavailableExport, unavailableJobs, unavailableModels } from './unavailable.ts';
import { workerInference } from './worker-inference.ts';

export interface AppServicesOptions {
  /** Per-user data folder: library database, settings. */
  dataDir: string;
  /** Cache folder for thumbnails and previews (default `<dataDir>/cache`). */
  cacheDir?: string;
  picker: Picker;
  /** How the inference process is started (default: a Node child running the TypeScript entry). */
  spawnWorker?: SpawnWorker;
  allowList?: PathAllowList;
}

export interface AppServices {
  services: HeirloomServices;
  worker: InferenceWorker;
  close(): Promise<void>;
}

export async function createAppServices(opts: AppServicesOptions): Promise<AppServices> {
  const db = openLibrary(appLibraryFile(opts.dataDir));
  const settings = new SettingsStore(path.join(opts.dataDir, 'settings.json'));
  const worker = new InferenceWorker(opts.spawnWorker ?? forkWorker());
  const services = new HeirloomServices({
    library: new SqliteLibrary(db, settings),
    jobs: unavailableJobs,
    models: unavailableModels,
    exporter: unavailableExport,
    inference: workerInference(worker),
    picker: opts.picker,
    cacheDir: opts.cacheDir ?? path.join(opts.dataDir, 'cache'),
    allowList: opts.allowList,
  });
  return {
    services,
    worker,
    close: async () => {
      services.dispose();
      worker.dispose();
      db.close();
    },
  };
}
