/**
 * Builds the services from the real modules. Shared by the Electron main process and the dev
 * server, so both run the same code; only the picker and the worker spawner differ.
 */
import path from 'node:path';
import { BatchQueue } from '../jobs/batch-queue.ts';
import { listJobs, recoverInterrupted, setJobState } from '../jobs/job-store.ts';
import { openLibrary } from '../library/db.ts';
import { appLibraryFile } from '../library/location.ts';
import { InferenceWorker, type SpawnWorker } from '../worker-client/client.ts';
import { forkWorker, MEDIA_WORKER_ENTRY_TS } from '../worker-client/spawn-node.ts';
import type { PathAllowList } from './allow-list.ts';
import { DEFAULT_ENGINE, engineSpec, type EngineConfig } from './engine-config.ts';
import { ServiceError } from './errors.ts';
import { appExport } from './export-port.ts';
import { HeirloomServices } from './heirloom-services.ts';
import { jobsPort } from './jobs-port.ts';
import { modelsPort } from './models-port.ts';
import type { Picker } from './ports.ts';
import { SettingsStore } from './settings-store.ts';
import { SqliteLibrary } from './sqlite-library.ts';
import { workerInference } from '../worker-client/worker-inference.ts';
import { workerMedia } from '../worker-client/worker-media.ts';
import { WorkerPhotoProcessor } from '../worker-client/worker-processor.ts';

export interface AppServicesOptions {
  /** Per-user data folder: library database, settings. */
  dataDir: string;
  /** Cache folder for thumbnails and previews (default `<dataDir>/cache`). */
  cacheDir?: string;
  picker: Picker;
  /** How the inference process is started (default: a Node child running the TypeScript entry). */
  spawnWorker?: SpawnWorker;
  /**
   * How the media process is started (import headers, thumbnails, previews: never behind a
   * restore, never in the main process). Default: a Node child running worker/media-entry.ts.
   */
  spawnMediaWorker?: SpawnWorker;
  /** The model to run (default: the published PMRF model from the model manager). */
  engine?: EngineConfig;
  allowList?: PathAllowList;
}

export interface AppServices {
  services: HeirloomServices;
  worker: InferenceWorker;
  queue: BatchQueue;
  close(): Promise<void>;
}

export async function createAppServices(opts: AppServicesOptions): Promise<AppServices> {
  const engine = opts.engine ?? DEFAULT_ENGINE;
  const db = openLibrary(appLibraryFile(opts.dataDir));
  const settings = new SettingsStore(path.join(opts.dataDir, 'settings.json'));
  const worker = new InferenceWorker(opts.spawnWorker ?? forkWorker());
  const mediaWorker = new InferenceWorker(opts.spawnMediaWorker ?? forkWorker({ entry: MEDIA_WORKER_ENTRY_TS }));
  const images = workerMedia(mediaWorker);
  const models = modelsPort(worker, engine, () => settings.get().restore);
  const processor = new WorkerPhotoProcessor(worker, {
    engine: async (restore) => {
      const checkpoint = await models.checkpointPath();
      if (checkpoint === null) throw new ServiceError('no-model', 'The PMRF model is not installed.');
      return engineSpec(engine, checkpoint, restore.device);
    },
  });
  // One photo in the worker at a time: its event loop is blocked while the model runs anyway.
  const queue = new BatchQueue({ db, processor, prefetch: 0, faces: 'stored', replaceOwnOutputs: true });
  const services = new HeirloomServices({
    library: new SqliteLibrary(db, settings, images.imageHeader, path.join(opts.dataDir, 'masks')),
    jobs: jobsPort(queue),
    models,
    exporter: appExport(async (req) => {
      await worker.call('writePair', req);
    }),
    inference: workerInference(worker, engine),
    images,
    picker: opts.picker,
    cacheDir: opts.cacheDir ?? path.join(opts.dataDir, 'cache'),
    allowList: opts.allowList,
  });
  // A batch interrupted by a crash or by quitting resumes where it stopped (paused ones stay paused).
  recoverInterrupted(db);
  const waiting = listJobs(db).find((j) => j.state === 'queued');
  if (waiting !== undefined) queue.enqueue(waiting.id);
  return {
    services,
    worker,
    queue,
    close: async () => {
      // Quitting mid-batch: abandon the photo in progress (nothing half-written) and leave the
      // job queued, so the next start resumes it.
      const running = queue.current();
      if (running !== null && running.state === 'running') {
        queue.stop(running.jobId);
        await queue.idle().catch(() => {});
        setJobState(db, running.jobId, 'queued');
      }
      services.dispose();
      worker.dispose();
      mediaWorker.dispose();
      db.close();
    },
  };
}
