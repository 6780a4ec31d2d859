/**
 * Messages between the main process and the inference process (a Node child in the CLI and
 * tests, an Electron utilityProcess in the app). Every call has an id; the worker answers with
 * exactly one `result` or `error` for it, and may send `progress` before that. `cancel` asks
 * the worker to stop a call at its next check (between faces or photos); killing the process
 * is the hard cancel.
 */
import type { DetectedFace, DetectionResult } from '../../src-shared/faces.ts';
import type { FaceRecord, PhotoStage } from '../../src-shared/ipc.ts';
import type { Device, PairMode, RestoreSettings } from '../../src-shared/settings.ts';

/** Which model the worker runs: the checkpoint, its architecture and the device asked for. */
export interface EngineSpec {
  checkpoint: string;
  /** Architecture preset name or meta.json path; null = the published model's preset. */
  arch: string | null;
  /** Side of the aligned faces (512 for the published model). */
  faceSize: number;
  device: Device;
}

/** A face as the batch restores it (FacePlan of src-main/jobs). */
export interface PlannedFace extends DetectedFace {
  include: boolean;
  seed: number;
}

/** Methods the worker serves: params and result of each. */
export interface WorkerMethods {
  ping: { params: Record<string, never>; result: { pid: number; methods: WorkerMethod[] } };
  detect: { params: { path: string }; result: DetectionResult };
  /** The 5 alignment points of a face the user boxed (landmark net, or the template's proportions). */
  landmarks: { params: { path: string; box: DetectedFace['box'] }; result: { points: DetectedFace['points']; fromNet: boolean; width: number; height: number } };
  /** Writes the aligned face (faceSize x faceSize) as PNG. */
  alignFace: { params: { path: string; face: DetectedFace; faceSize: number; outPath: string }; result: { outPath: string } };
  /** Restores one face with PMRF both ways (posterior mean and flow); writes three PNGs. */
  previewFace: {
    params: {
      path: string;
      face: DetectedFace;
      engine: EngineSpec;
      settings: RestoreSettings;
      seed: number;
      out: { aligned: string; mean: string; flow: string };
    };
    result: { timingsMs: Record<string, number>; description: string };
  };
  /** Devices this machine offers (best first) and a per-face time estimate. */
  engineInfo: {
    params: { engine: Omit<EngineSpec, 'checkpoint'>; steps: number };
    result: { devices: Device[]; activeDevice: Device; secondsPerFace: number | null };
  };
  /** Batch stage 1 (decode, detect or take the stored faces, align); the worker keeps the pixels under `token`. */
  prepare: {
    params: { token: number; engine: EngineSpec; input: { path: string; settings: RestoreSettings; knownFaces: FaceRecord[] | null } };
    result: { faces: PlannedFace[]; detected: boolean; timingsMs: Record<string, number> };
  };
  /** Batch stage 2: the model, on the faces prepared under `token`. */
  restore: { params: { token: number }; result: { timingsMs: Record<string, number>; description: string } };
  /** Batch stage 3 (paste, scale, encode, pairs) to the given temporary paths; frees `token`. */
  finish: {
    params: { token: number; targets: { image: string; sideBySide: string | null; before: string | null; after: string | null } };
    result: { timingsMs: Record<string, number> };
  };
  /** Copies a restored photo (and its before/after pair) into an export folder; returns the files written. */
  exportPhoto: {
    params: { original: string; restored: string; folder: string; pairs: PairMode; labels: boolean; quality: number };
    result: { written: string[] };
  };
  /** Frees what `token` holds (a photo the batch dropped). */
  release: { params: { token: number }; result: Record<string, never> };
}

export type WorkerMethod = keyof WorkerMethods;
export type WorkerParams<M extends WorkerMethod> = WorkerMethods[M]['params'];
export type WorkerResult<M extends WorkerMethod> = WorkerMethods[M]['result'];

export const WORKER_METHODS: readonly WorkerMethod[] = ['ping', 'detect', 'landmarks', 'alignFace', 'previewFace', 'engineInfo', 'prepare', 'restore', 'finish', 'exportPhoto', 'release'];

export function isWorkerMethod(m: unknown): m is WorkerMethod {
  return typeof m === 'string' && (WORKER_METHODS as readonly string[]).includes(m);
}

/** main -> worker */
export type ToWorker =
  | { type: 'call'; id: number; method: WorkerMethod; params: unknown }
  | { type: 'cancel'; id: number };

export interface WorkerProgress {
  stage: PhotoStage;
  /** 0..1 within the stage. */
  fraction: number;
}

export interface WorkerErrorInfo {
  message: string;
  /** 'cancelled' when the call stopped on request; 'user' for bad input (clear message). */
  kind: 'cancelled' | 'user' | 'internal';
}

/** worker -> main */
export type FromWorker =
  | { type: 'ready'; pid: number }
  | { type: 'progress'; id: number; progress: WorkerProgress }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: WorkerErrorInfo };

/** Shape check of a message from the main process (the worker trusts its parent, but not blindly). */
export function parseToWorker(m: unknown): ToWorker | null {
  if (typeof m !== 'object' || m === null) return null;
  const r = m as Record<string, unknown>;
  if (typeof r.id !== 'number' || !Number.isSafeInteger(r.id)) return null;
  if (r.type === 'cancel') return { type: 'cancel', id: r.id };
  if (r.type === 'call' && isWorkerMethod(r.method)) return { type: 'call', id: r.id, method: r.method, params: r.params ?? {} };
  return null;
}

export function parseFromWorker(m: unknown): FromWorker | null {
  if (typeof m !== 'object' || m === null) return null;
  const r = m as Record<string, unknown>;
  switch (r.type) {
    case 'ready':
      return typeof r.pid === 'number' ? { type: 'ready', pid: r.pid } : null;
    case 'progress':
    case 'result':
    case 'error':
      return typeof r.id === 'number' ? (m as FromWorker) : null;
    default:
      return null;
  }
}
