/** ExportPort: each photo is exported in the inference process (decoding for pairs is heavy). */
import path from 'node:path';
import type { ExportSummary } from '../../src-shared/ipc.ts';
import type { InferenceWorker } from '../worker/client.ts';
import type { ExportPort } from './ports.ts';

export function workerExport(worker: InferenceWorker): ExportPort {
  return {
    run: async ({ photos, pairs, labels, folder, quality }) => {
      const summary: ExportSummary = { folder, written: [], failed: [] };
      // One failure is reported and the rest go on.
      for (const p of photos) {
        try {
          const r = await worker.call('exportPhoto', { original: p.original, restored: p.restored, folder, pairs, labels, quality });
          summary.written.push(...r.written);
        } catch (err) {
          summary.failed.push({ name: path.basename(p.original), error: (err as Error).message });
        }
      }
      return summary;
    },
  };
}
