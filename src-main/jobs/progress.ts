import type { JobProgress, PhotoStage } from '../../src-shared/ipc.ts';

/** Where each stage starts within one photo's progress (restore dominates on real models). */
const STAGE_START: Record<PhotoStage, number> = { decode: 0, detect: 0.05, repair: 0.12, align: 0.15, restore: 0.2, paste: 0.85, encode: 0.92 };
const STAGE_END: Record<PhotoStage, number> = { decode: 0.05, detect: 0.12, repair: 0.15, align: 0.2, restore: 0.85, paste: 0.92, encode: 1 };

/** A photo's overall fraction from its stage and the fraction within the stage. */
export function photoFraction(stage: PhotoStage, within = 0): number {
  const w = Math.min(1, Math.max(0, within));
  return STAGE_START[stage] + (STAGE_END[stage] - STAGE_START[stage]) * w;
}

/**
 * ETA from the photos processed in this run: mean wall time per processed photo times the
 * photos left (minus the current one's finished part). Skipped photos cost nothing and are
 * not counted. Null until one photo has been processed.
 */
export class EtaEstimator {
  private readonly startedAt: number;
  private processed = 0;
  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }
  photoProcessed(): void {
    this.processed++;
  }
  estimate(remaining: number, currentFraction: number): number | null {
    if (this.processed === 0) return null;
    const perPhoto = (this.now() - this.startedAt) / this.processed;
    return Math.max(0, Math.round(perPhoto * (remaining - currentFraction)));
  }
}

/**
 * Rate-limits progress events to one per `intervalMs`, keeping the latest: a burst of stage
 * updates becomes one event now and one at the end of the interval. `flush` emits at once (state
 * changes, the end of a job).
 */
export class ProgressThrottle {
  private last = 0;
  private pending: (() => JobProgress) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly emit: (p: JobProgress) => void,
    private readonly intervalMs = 100,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a function so a throttled-away update costs nothing (progress reads the database). */
  push(p: () => JobProgress): void {
    this.pending = p;
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) this.send();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.send(), wait);
      this.timer.unref();
    }
  }

  flush(p?: JobProgress): void {
    if (p !== undefined) this.pending = () => p;
    this.send();
  }

  private send(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const p = this.pending;
    this.pending = null;
    if (p === null) return;
    this.last = this.now();
    this.emit(p());
  }
}
