/** ExportPort: each photo is exported in the inference process (decoding for pairs is heavy). */
import path from 'node:path';
import type { ExportSummary } from '../../src-shared/ipc.ts';
import { EXPORT_JSON, writeExportRecord, type ExportRecord } from '../export/summary.ts';
import type { InferenceWorker } from '../worker-client/client.ts';
import type { ExportPort } from './ports.ts';

export function workerExport(worker: InferenceWorker): ExportPort {
  return {
    run: async ({ photos, pairs, labels, folder, quality }) => {
      const summary: ExportSummary = { folder, written: [], failed: [] };
      const record: ExportRecord = { format: 'heirloom-export', version: 1, exportedAt: new Date().toISOString(), pairs, labels, photos: [] };
      // One failure is reported and the rest go on.
      for (const p of photos) {
        const input = path.basename(p.original);
        try {
          const r = await worker.call('exportPhoto', { original: p.original, restored: p.restored, folder, pairs, labels, quality });
          summary.written.push(...r.written);
          record.photos.push({ input, outcome: 'exported', outputs: r.written.map((f) => path.basename(f)), error: null });
        } catch (err) {
          const error = (err as Error).message;
          summary.failed.push({ name: input, error });
          record.photos.push({ input, outcome: 'failed', outputs: [], error });
        }
      }
      try {
        summary.written.push(...writeExportRecord(folder, record));
      } catch (err) {
        summary.failed.push({ name: EXPORT_JSON, error: (err as Error).message });
      }
      return summary;
    },
  };
}
