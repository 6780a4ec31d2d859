/** ModelsPort over the model manager (src-main/models), with device facts from the worker. */
import { statSync } from 'node:fs';
import type { DownloadProgress, ModelStatus } from '../../src-shared/ipc.ts';
import { flowEvaluations, type RestoreSettings } from '../../src-shared/settings.ts';
import type { DownloadProgress as FileProgress } from '../models/download.ts';
import { findModel, importModel, installModel, type ModelSource } from '../models/manager.ts';
import { DEFAULT_MODEL_ID, findModelSpec } from '../models/manifest.ts';
import type { InferenceWorker } from '../worker-client/client.ts';
import { workerArchitectureCheck } from '../worker-client/checkpoint-check.ts';
import type { EngineConfig } from './engine-config.ts';
import { ServiceError } from './errors.ts';
import type { ModelsPort } from './ports.ts';

const SOURCES: Record<ModelSource, ModelStatus['source']> = { env: 'imported', heirloom: 'heirloom', 'hf-cache': 'hf-cache' };

export function modelsPort(worker: InferenceWorker, config: EngineConfig, settings: () => RestoreSettings): ModelsPort {
  let installing: { promise: Promise<ModelStatus>; abort: AbortController } | null = null;

  const location = (): { path: string; source: ModelStatus['source'] } | null => {
    if (config.model !== null) return { path: config.model, source: 'imported' };
    const found = findModel();
    return found === undefined ? null : { path: found.path, source: SOURCES[found.source] };
  };

  const status = async (): Promise<ModelStatus> => {
    const loc = location();
    let size: number | null = null;
    try {
      // Not installed: the download's size, so the user knows it before pressing Download.
      const spec = findModelSpec(DEFAULT_MODEL_ID);
      size = loc === null ? (spec?.size ?? spec?.approxBytes ?? null) : statSync(loc.path).size;
    } catch {
      size = null;
    }
    const s = settings();
    let info: { devices: ModelStatus['devices']; activeDevice: ModelStatus['activeDevice']; secondsPerFace: number | null; gpuAdapter: string | null; skipped: string[]; gpuCheck: string | null };
    try {
      const r = await worker.call('engineInfo', { engine: { arch: config.arch, faceSize: config.faceSize, device: s.device }, steps: flowEvaluations(s) });
      info = r;
    } catch {
      info = { devices: ['cpu'], activeDevice: 'cpu', secondsPerFace: null, gpuAdapter: null, skipped: [], gpuCheck: null };
    }
    return {
      installed: loc !== null,
      source: loc?.source ?? null,
      sizeBytes: size,
      devices: info.devices,
      activeDevice: loc === null ? null : info.activeDevice,
      secondsPerFaceEstimate: loc === null ? null : info.secondsPerFace,
      gpuAdapter: info.gpuAdapter,
      deviceNotes: info.skipped,
      gpuCheck: info.gpuCheck,
    };
  };

  return {
    status,
    install: (onProgress) => {
      if (installing) return installing.promise;
      const abort = new AbortController();
      let last = 0;
      const send = (p: FileProgress, state: DownloadProgress['state']): void => {
        onProgress({
          state,
          receivedBytes: p.bytes,
          totalBytes: p.total ?? null,
          bytesPerSecond: p.bytesPerSecond,
          etaMs: p.etaSeconds === undefined ? null : Math.round(p.etaSeconds * 1000),
          error: null,
        });
      };
      const end = (state: DownloadProgress['state'], error: string | null): void =>
        onProgress({ state, receivedBytes: 0, totalBytes: null, bytesPerSecond: 0, etaMs: null, error });
      const promise = (async () => {
        try {
          await installModel({
            checkArchitecture: workerArchitectureCheck(worker, config.arch),
            signal: abort.signal,
            onProgress: (p) => {
              const now = Date.now();
              const complete = p.total !== undefined && p.bytes >= p.total;
              // About ten a second; the last chunk always (verification starts then).
              if (!complete && now - last < 100) return;
              last = now;
              send(p, complete ? 'verifying' : 'downloading');
            },
          });
          end('done', null);
          return await status();
        } catch (err) {
          if (abort.signal.aborted) {
            end('cancelled', null);
            throw new ServiceError('failed', 'Download cancelled.');
          }
          end('failed', (err as Error).message);
          throw err;
        } finally {
          installing = null;
        }
      })();
      installing = { promise, abort };
      return promise;
    },
    cancelInstall: () => installing?.abort.abort(),
    importFile: async (file) => {
      await importModel(file, { checkArchitecture: workerArchitectureCheck(worker, config.arch) });
      return status();
    },
    checkpointPath: async () => location()?.path ?? null,
  };
}
