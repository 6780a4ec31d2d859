import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PairMode, RestoreSettings } from '../../src-shared/settings.ts';
import { commitFiles, tempPathFor } from '../util/atomic-file.ts';

export const SUMMARY_JSON = 'heirloom-summary.json';
export const SUMMARY_CSV = 'heirloom-summary.csv';
/** What the app's last export into a folder did (a batch's own summary keeps its name). */
export const EXPORT_JSON = 'heirloom-export.json';
export const EXPORT_CSV = 'heirloom-export.csv';

export type SummaryOutcome = 'restored' | 'skipped' | 'failed' | 'not-run';

export interface SummaryEntry {
  input: string;
  outcome: SummaryOutcome;
  /** Output files (names inside the output folder). */
  outputs: string[];
  faces: number | null;
  error: string | null;
  /** What the user should know about a restored photo (e.g. written at a lower scale, and why). */
  note: string | null;
  totalMs: number | null;
}

export interface BatchSummary {
  format: 'heirloom-summary';
  version: 1;
  jobId: number;
  state: string;
  settings: RestoreSettings;
  model: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  counts: Record<SummaryOutcome, number>;
  photos: SummaryEntry[];
}

export function buildSummary(s: Omit<BatchSummary, 'format' | 'version' | 'counts'>): BatchSummary {
  const counts: Record<SummaryOutcome, number> = { restored: 0, skipped: 0, failed: 0, 'not-run': 0 };
  for (const p of s.photos) counts[p.outcome]++;
  return { format: 'heirloom-summary', version: 1, ...s, counts };
}

export interface ExportRecord {
  format: 'heirloom-export';
  version: 1;
  exportedAt: string;
  pairs: PairMode;
  labels: boolean;
  photos: { input: string; outcome: 'exported' | 'failed'; outputs: string[]; error: string | null }[];
}

/** Writes `heirloom-summary.json` and `.csv` into the output folder (replacing earlier ones). */
export function writeSummary(folder: string, summary: BatchSummary): string[] {
  return writeJsonAndCsv(path.join(folder, SUMMARY_JSON), path.join(folder, SUMMARY_CSV), summary, toCsv(summary));
}

/** Writes `heirloom-export.json` and `.csv` into an export folder (replacing an earlier export's). */
export function writeExportRecord(folder: string, record: ExportRecord): string[] {
  const rows = [['input', 'outcome', 'outputs', 'error'], ...record.photos.map((p) => [p.input, p.outcome, p.outputs.join(';'), p.error ?? ''])];
  return writeJsonAndCsv(path.join(folder, EXPORT_JSON), path.join(folder, EXPORT_CSV), record, csvText(rows));
}

function writeJsonAndCsv(json: string, csv: string, data: unknown, csvContent: string): string[] {
  const moves = [
    { final: json, temp: tempPathFor(json), text: `${JSON.stringify(data, null, 2)}\n` },
    { final: csv, temp: tempPathFor(csv), text: csvContent },
  ];
  for (const m of moves) writeFileSync(m.temp, m.text);
  commitFiles(moves);
  return [json, csv];
}

export function toCsv(summary: BatchSummary): string {
  const rows = [['input', 'outcome', 'faces', 'total_ms', 'outputs', 'error', 'note']];
  for (const p of summary.photos) {
    rows.push([p.input, p.outcome, p.faces?.toString() ?? '', p.totalMs?.toFixed(0) ?? '', p.outputs.join(';'), p.error ?? '', p.note ?? '']);
  }
  return csvText(rows);
}

function csvText(rows: string[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** RFC 4180 quoting; a leading = + - @ is prefixed so spreadsheets do not run it as a formula. */
function csvCell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
