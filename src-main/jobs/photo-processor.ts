/**
 * What the batch queue needs from whatever runs the pipeline on one photo, in three steps so the
 * queue can prepare the next photo while the model restores the current one:
 *   prepare = decode + detect + align (CPU, overlaps with inference)
 *   restore = the model (one photo at a time)
 *   finish  = paste + scale + encode (+ before/after pairs), writing to the paths given
 * The app and the CLI use the inference process (worker-client/worker-processor.ts); tests may
 * run the worker's own processor in this process. `P` and `R` are the processor's state between
 * steps. The data shapes are the worker protocol's (src-shared/worker-protocol.ts).
 */
import type { FinishTargets, PhotoInput, PlannedFace, PrepareResult, StageContext } from '../../src-shared/worker-protocol.ts';

export type { FinishTargets, PhotoInput, StageContext };

/** One face as restored: where it is, whether it was included, with which seed. */
export type FacePlan = PlannedFace;

/**
 * The process running the pipeline stopped (crashed, or was killed for memory) while it worked on
 * this photo. The queue tries such a photo once more in a fresh process, then marks it failed.
 */
export class PhotoCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PhotoCrashedError';
  }
}

export interface Prepared<P> extends PrepareResult {
  state: P;
}

/** The model that restored a photo, as the sidecar and the library record it. */
export interface ModelUsed {
  /** Model, precision and device. */
  description: string;
  /** sha256 of the checkpoint, null when the restorer has none (tests). */
  sha256: string | null;
}

export interface PhotoProcessor<P = unknown, R = unknown> {
  /**
   * sha256 of the checkpoint the next restore will use (null: none), so the queue can tell a
   * photo already restored with this model from one to redo, before running anything.
   */
  modelSha256(settings: PhotoInput['settings']): Promise<string | null>;
  prepare(input: PhotoInput, ctx: StageContext): Promise<Prepared<P>>;
  restore(prepared: Prepared<P>, ctx: StageContext): Promise<{ state: R; timingsMs: Record<string, number>; model: ModelUsed }>;
  finish(prepared: Prepared<P>, restored: R, targets: FinishTargets, ctx: StageContext): Promise<{ timingsMs: Record<string, number> }>;
}
