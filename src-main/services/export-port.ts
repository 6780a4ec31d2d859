/**
 * ExportPort: each photo is exported by export/export-photos.ts in this process (names, copies,
 * sidecars); the pairs' pixels are made by `writePair` (the inference process in the app).
 */
import path from 'node:path';
import type { ExportSummary } from '../../src-shared/ipc.ts';
import { EXPORT_JSON, writeExportRecord, type ExportRecord } from '../export/summary.ts';
import { exportPhoto, type PairWriter } from '../export/export-photos.ts';
import type { ExportPort } from './ports.ts';

export function appExport(writePair: PairWriter): ExportPort {
  return {
    run: async ({ photos, pairs, labels, folder, quality }) => {
      const summary: ExportSummary = { folder, written: [], failed: [] };
      const record: ExportRecord = { format: 'heirloom-export', version: 1, exportedAt: new Date().toISOString(), pairs, labels, photos: [] };
      // One failure is reported and the rest go on.
      for (const p of photos) {
        const input = path.basename(p.original);
        try {
          const written = await exportPhoto({ original: p.original, restored: p.restored, folder, pairs, labels, quality }, writePair);
          summary.written.push(...written);
          record.photos.push({ input, outcome: 'exported', outputs: written.map((f) => path.basename(f)), error: null });
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
