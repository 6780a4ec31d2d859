/**
 * What the services need from the rest of the main process. Each port is implemented by an
 * adapter over the real module (library, jobs, models, export, inference worker); unit tests
 * and the early dev server use small in-memory ones. Keeping them here lets the services stay
 * independent of Electron and of how each module is built.
 */
import type { DetectedFace, DetectionResult } from '../../src-shared/faces.ts';
import type {
  AppSettings,
  DownloadProgress,
  ExportSummary,
  FaceChange,
  FaceRecord,
  ImportResult,
  JobProgress,
  ModelStatus,
  PhotoAligned,
  PhotoDetail,
  PhotoSummary,
} from '../../src-shared/ipc.ts';
import type { PairMode, RestoreSettings } from '../../src-shared/settings.ts';

/** The photo library (SQLite in the app). Ids are the library's. */
export interface LibraryPort {
  /** Imports files and folders (walked recursively); per-file failures are reported, not thrown. */
  importPaths(paths: string[], options: { exclude: string[] }): Promise<ImportResult>;
  listPhotos(): PhotoSummary[];
  getPhoto(photoId: number): PhotoDetail | null;
  /** The original file of a photo (main-process only: never sent to the renderer). */
  photoPath(photoId: number): string | null;
  /** The restored output file, if the photo was restored. */
  restoredPath(photoId: number): string | null;
  removePhotos(photoIds: number[]): void;
  setDetection(photoId: number, result: DetectionResult): void;
  /** The user's aligned-input choice for a photo (null: follow the setting). */
  setAligned(photoId: number, aligned: PhotoAligned): void;
  /** The user's damage mask for a photo (PNG bytes, white = repair), or null to go back to the detector. */
  setDamageMask(photoId: number, png: Uint8Array | null): void;
  /** The stored file of the user's damage mask, if the photo has one. */
  damageMaskPath(photoId: number): string | null;
  setFailed(photoId: number, error: string): void;
  /** Appends a face the user drew (included, the next seed, marked manual). */
  addFace(photoId: number, face: DetectedFace): void;
  /** Deletes one face; the others keep their ids, seeds and choices. */
  removeFace(faceId: number): void;
  getFace(faceId: number): FaceRecord | null;
  updateFace(faceId: number, change: FaceChange): FaceRecord;
  getSettings(): AppSettings;
  setSettings(settings: AppSettings): void;
}

/** The persistent batch queue. */
export interface JobsPort {
  start(photoIds: number[], settings: AppSettings): JobProgress;
  pause(jobId: number): JobProgress;
  resume(jobId: number): JobProgress;
  cancel(jobId: number): JobProgress;
  current(): JobProgress | null;
  onProgress(listener: (p: JobProgress) => void): () => void;
}

/** The PMRF checkpoint manager. */
export interface ModelsPort {
  status(): Promise<ModelStatus>;
  /** Downloads the published checkpoint, reporting progress; resolves when installed. */
  install(onProgress: (p: DownloadProgress) => void): Promise<ModelStatus>;
  cancelInstall(): void;
  importFile(path: string): Promise<ModelStatus>;
  /** The installed checkpoint's path, or null. */
  checkpointPath(): Promise<string | null>;
}

export interface ExportPort {
  run(request: { photos: { photoId: number; original: string; restored: string }[]; pairs: PairMode; labels: boolean; folder: string; quality: number }): Promise<ExportSummary>;
}

/** Heavy work in the inference process. */
export interface InferencePort {
  detect(path: string, signal?: AbortSignal): Promise<DetectionResult>;
  /** The 5 alignment points of a face the user boxed, and the photo's upright size. */
  landmarks(path: string, box: DetectedFace['box'], signal?: AbortSignal): Promise<{ points: DetectedFace['points']; width: number; height: number }>;
  /** Finds the photo's print damage and writes the mask as PNG (white = repair, photo size) to outPath. */
  damageMask(path: string, outPath: string, signal?: AbortSignal): Promise<{ width: number; height: number; pixels: number }>;
  /** Writes the aligned 512x512 face as PNG to outPath. */
  alignFace(path: string, face: DetectedFace, outPath: string, signal?: AbortSignal): Promise<void>;
  /** Restores one face both ways; writes PNGs (aligned, posterior mean, flow result). */
  previewFace(
    request: { path: string; face: DetectedFace; checkpoint: string; settings: RestoreSettings; seed: number; out: { aligned: string; mean: string; flow: string } },
    signal?: AbortSignal,
  ): Promise<void>;
}

/**
 * Image chores for the app (import headers, display copies), done in a worker process: sharp
 * never runs in Electron's main process.
 */
export interface MediaPort {
  /** Upright size from the header, or why the file is not a readable image. */
  imageHeader(path: string): Promise<{ width: number; height: number } | { error: string }>;
  /** Writes an upright sRGB JPEG of `source`, at most `size` a side, to `out`. */
  displayCopy(request: { source: string; out: string; size: number; quality: number }): Promise<void>;
}

/** Native dialogs in the app, configured answers in tests. null = cancelled. */
export interface Picker {
  importPaths(kind: 'files' | 'folder'): Promise<string[] | null>;
  outputFolder(): Promise<string | null>;
  modelFile(): Promise<string | null>;
  /** Shows a folder in the system's file manager (Finder, Explorer, ...). */
  showFolder(folder: string): Promise<void>;
}

