/**
 * Measured seconds per network pass of one face, per device, for the time-per-face estimate a
 * user sees before a batch. Written by the GPU self-check (GPU and CPU) and after each restore;
 * read by `engineInfo`. Keyed by provider, adapter, architecture, face size and precision (the
 * weights' values do not change the time). Nothing here is a constant: no measurement, no estimate.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ArchConfig } from './arch.ts';
import type { Precision } from './build.ts';
import { webgpuAdapter } from './gpu-adapter.ts';
import type { ExecutionProvider } from './session.ts';

const entrySchema = z.object({
  swinir: z.number().positive(),
  hdit: z.number().positive(),
  /** What measured it: 'self-check' or 'restore'. */
  source: z.string(),
  at: z.string(),
});
export type PassTimes = z.infer<typeof entrySchema>;
const fileSchema = z.record(z.string(), entrySchema);

export interface PassTimesKey {
  provider: ExecutionProvider;
  arch: ArchConfig;
  faceSize: number;
  precision: Precision;
}

function keyOf(k: PassTimesKey): string {
  const adapter = k.provider === 'webgpu' ? webgpuAdapter().name : '';
  return createHash('sha256').update(JSON.stringify([k.provider, adapter, k.arch, k.faceSize, k.precision])).digest('hex').slice(0, 24);
}

const fileOf = (cacheDir: string) => path.join(cacheDir, 'pass-times.json');

function readAll(cacheDir: string): Record<string, PassTimes> {
  try {
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(fileOf(cacheDir), 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export function measuredPassTimes(cacheDir: string, key: PassTimesKey): PassTimes | undefined {
  return existsSync(fileOf(cacheDir)) ? readAll(cacheDir)[keyOf(key)] : undefined;
}

/** Records a measurement (the newest replaces the older one). Never throws: an estimate is not worth a failed restore. */
export function recordPassTimes(cacheDir: string, key: PassTimesKey, times: { swinir: number; hdit: number }, source: string): void {
  if (!(times.swinir > 0 && times.hdit > 0)) return;
  try {
    mkdirSync(cacheDir, { recursive: true });
    const all = readAll(cacheDir);
    all[keyOf(key)] = { swinir: times.swinir, hdit: times.hdit, source, at: new Date().toISOString() };
    const tmp = `${fileOf(cacheDir)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all, null, 1));
    renameSync(tmp, fileOf(cacheDir));
  } catch {
    // a read-only cache folder: the estimate stays unknown
  }
}

/** Seconds for one face: a SwinIR pass and `steps` HDiT passes. */
export function faceSeconds(t: { swinir: number; hdit: number }, steps: number): number {
  return t.swinir + steps * t.hdit;
}
