import type { DetectedFace } from '../../src-shared/faces.ts';
import type { FaceRecord, PhotoStage } from '../../src-shared/ipc.ts';
import type { RestoreSettings } from '../../src-shared/settings.ts';

/**
 * How the batch queue drives the pipeline for one photo, in three stages so the queue can
 * prepare the next photo while the model restores the current one:
 *   prepare = decode + detect + align (CPU, overlaps with inference)
 *   restore = the model (one photo at a time)
 *   finish  = paste + scale + encode (+ before/after pairs), writing to the paths given
 * `P` and `R` are the processor's own in-memory state between stages.
 */
export interface StageContext {
  signal: AbortSignal;
  /** Reports the stage in progress and how far it is (0..1). */
  onStage(stage: PhotoStage, fraction?: number): void;
}

export interface PhotoInput {
  path: string;
  settings: RestoreSettings;
  /** Faces stored in the library (the user may have skipped some or re-rolled seeds); null = detect. */
  knownFaces: FaceRecord[] | null;
}

/** One face as restored: where it is, whether it was included, with which seed. */
export interface FacePlan extends DetectedFace {
  include: boolean;
  seed: number;
}

export interface Prepared<P> {
  /** Faces found (or taken from the library), with the seed each is restored with. */
  faces: FacePlan[];
  /** True when `faces` come from a new detection (the queue stores them). */
  detected: boolean;
  timingsMs: Record<string, number>;
  state: P;
}

export interface FinishTargets {
  /** Where to write the restored photo (a temporary name; the queue renames it). */
  image: string;
  /** Side-by-side before/after image, if asked for. */
  sideBySide: string | null;
  /** Two-file pair, if asked for. */
  before: string | null;
  after: string | null;
}

export interface PhotoProcessor<P = unknown, R = unknown> {
  /** What made the result (model and device), for sidecars. */
  readonly description: string;
  /** sha256 of the model checkpoint, when known. */
  readonly modelSha256: string | null;
  prepare(input: PhotoInput, ctx: StageContext): Promise<Prepared<P>>;
  restore(prepared: Prepared<P>, ctx: StageContext): Promise<{ state: R; timingsMs: Record<string, number> }>;
  finish(prepared: Prepared<P>, restored: R, targets: FinishTargets, ctx: StageContext): Promise<{ timingsMs: Record<string, number> }>;
}
