/**
 * The one IPC contract between the renderer and the main process.
 *
 * - `requests`: renderer -> main calls, each with a zod schema for its arguments (the main
 *   process validates every call at run time) and a result type.
 * - `IpcEvents`: main -> renderer pushes.
 * - `HeirloomApi`: the object the preload exposes as `window.heirloom` (and the test transport
 *   implements over WebSocket). Renderer code reaches the main process only through it.
 *
 * Channel names are `area:verb`. Imports nothing from src-main, node or electron.
 */
import { z } from 'zod';
import { MAX_SEED, MAX_STEPS, MIN_STEPS } from './rules.ts';
import { MIN_MANUAL_FACE_PX, type DetectedFace } from './faces.ts';
import { ALIGNED_MODES, DEVICES, MAX_CONSISTENCY, OUTPUT_FORMATS, PAIR_MODES, SAMPLERS, type Device, type RestoreSettings, upgradeRestoreSettings } from './settings.ts';

// ---------- records ----------

export type PhotoStatus = 'new' | 'detected' | 'queued' | 'restoring' | 'restored' | 'failed';

export interface PhotoSummary {
  id: number;
  /** File name for display; the full path stays in the main process. */
  name: string;
  width: number | null;
  height: number | null;
  status: PhotoStatus;
  faceCount: number;
  /** Why the photo failed (status 'failed'). */
  error: string | null;
  /** What was wrong with a file that could still be read (a JPEG cut short), in words; null when nothing. */
  note: string | null;
  /**
   * Restored, but the result no longer matches the photo: the settings or a face decision
   * changed since (or the file did). "Restore again" redoes it.
   */
  outOfDate: boolean;
  /** Restore it whole as one aligned face ('always'), find its faces ('never'), or null: the setting decides. */
  aligned: PhotoAligned;
  /** Square, with its one face already on the model's template: the app offers aligned input. */
  looksAligned: boolean;
  /** The user edited its damage mask (the repair uses that instead of the detector). */
  editedMask: boolean;
}

/** A photo's own aligned-input choice (null: follow the setting). */
export type PhotoAligned = 'always' | 'never' | null;

export interface FaceRecord extends DetectedFace {
  id: number;
  photoId: number;
  /** Whether the face is restored (the user can skip a face). */
  include: boolean;
  /** This face's seed (re-roll = new seed). */
  seed: number;
  /**
   * This face's own fidelity, 0 = the faithful result (posterior mean), 1 = the realistic one
   * (flow); null = follow the setting. "Keep the original" is include = false.
   */
  fidelity: number | null;
}

export interface RestoreResultSummary {
  settings: RestoreSettings;
  outputName: string;
  finishedAt: string;
  timingsMs: Record<string, number>;
}

/** A photo's damage mask as the viewer shows it: a PNG data URL at the photo's size, white = repair. */
export interface DamageMaskView {
  png: string;
  width: number;
  height: number;
  /** The user's edited mask (true) or the detector's (false). */
  edited: boolean;
}

/** A mask PNG as a data URL: a 200 MP photo's mask compresses far below this. */
export const MAX_MASK_DATA_URL = 64 * 1024 * 1024;

export interface PhotoDetail extends PhotoSummary {
  faces: FaceRecord[];
  result: RestoreResultSummary | null;
}

/** What an image element may show. Turned into a URL by `HeirloomApi.mediaUrl`. */
export type MediaRef =
  | { kind: 'thumb'; photoId: number }
  | { kind: 'original'; photoId: number }
  | { kind: 'restored'; photoId: number }
  | { kind: 'face'; faceId: number; variant: 'aligned' | 'mean' | 'flow' };

export interface ImportResult {
  added: number;
  unchanged: number;
  failed: { name: string; error: string }[];
  photoIds: number[];
}

export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export type PhotoStage = 'decode' | 'detect' | 'repair' | 'align' | 'restore' | 'paste' | 'encode';

/** Throttled (about 10 per second) progress of a batch. */
export interface JobProgress {
  jobId: number;
  state: JobState;
  /** Photos finished: restored, or skipped because their result was already current. */
  done: number;
  /** Of `done`, those skipped as already current (absent from older main processes). */
  skipped?: number;
  failed: number;
  total: number;
  /** The photo in progress and its stage, if any. */
  current: { photoId: number; name: string; stage: PhotoStage; fraction: number } | null;
  etaMs: number | null;
}

export interface ModelStatus {
  installed: boolean;
  /** Where the checkpoint came from. */
  source: 'heirloom' | 'hf-cache' | 'imported' | null;
  /** The installed file's size, or (not installed) the download's. */
  sizeBytes: number | null;
  /** Execution providers this machine offers, best first, and the one in use. */
  devices: Device[];
  activeDevice: Device | null;
  /** Estimated seconds per face at the current settings on the active device. */
  secondsPerFaceEstimate: number | null;
  /** The WebGPU adapter in words, where it can be known (absent from older workers). */
  gpuAdapter?: string | null;
  /** Why each GPU provider `auto` could use is not used, in sentences. */
  deviceNotes?: string[];
  /** The active GPU's self-check against the CPU, in words (null: none yet). */
  gpuCheck?: string | null;
}

export interface DownloadProgress {
  state: 'downloading' | 'verifying' | 'done' | 'failed' | 'cancelled';
  receivedBytes: number;
  totalBytes: number | null;
  bytesPerSecond: number;
  etaMs: number | null;
  error: string | null;
}

export interface FacePreview {
  faceId: number;
  seed: number;
  mean: MediaRef;
  flow: MediaRef;
}

export interface ExportSummary {
  folder: string;
  written: string[];
  failed: { name: string; error: string }[];
}

// ---------- argument schemas (validated in the main process) ----------

const id = z.number().int().positive();

export const restoreSettingsSchema = z.object({
  steps: z.number().int().min(MIN_STEPS).max(MAX_STEPS),
  fidelity: z.number().min(0).max(1),
  sampler: z.enum(SAMPLERS),
  strength: z.number().gt(0).max(1),
  consistency: z.number().min(0).max(MAX_CONSISTENCY),
  seed: z.number().int().min(0).max(MAX_SEED),
  scale: z.union([z.literal(1), z.literal(2), z.literal(4)]),
  format: z.enum(OUTPUT_FORMATS),
  quality: z.number().int().min(1).max(100),
  pairs: z.enum(PAIR_MODES),
  device: z.enum(DEVICES),
  aligned: z.enum(ALIGNED_MODES).optional(),
  repair: z.boolean(),
  fixColour: z.boolean(),
}) satisfies z.ZodType<RestoreSettings>;

/** Restore settings read back from the library or a job (saved by any version: upgradeRestoreSettings). */
export const savedRestoreSettingsSchema = z.preprocess(upgradeStoredSettings, restoreSettingsSchema);

/**
 * A job's or result's settings: saved before the print repair and colour correction existed (or
 * with them off: settingsKey leaves them out then), they ran without them.
 */
function upgradeStoredSettings(saved: unknown): unknown {
  const s = upgradeRestoreSettings(saved);
  return typeof s === 'object' && s !== null && !Array.isArray(s) ? { repair: false, fixColour: false, ...s } : s;
}

export const appSettingsSchema = z.object({
  restore: restoreSettingsSchema,
  /** Output folder; chosen by the user through a dialog (null = not chosen yet). */
  outputFolder: z.string().min(1).nullable(),
});
export type AppSettings = z.infer<typeof appSettingsSchema>;

const none = z.object({}).strict();

/** A face box drawn by the user, [x, y, width, height] in upright photo pixels. The photo's bounds are checked by the service. */
export const faceBoxSchema = z
  .tuple([z.number().finite().min(0), z.number().finite().min(0), z.number().finite(), z.number().finite()])
  .refine(([, , w, h]) => w >= MIN_MANUAL_FACE_PX && h >= MIN_MANUAL_FACE_PX, `the box must be at least ${MIN_MANUAL_FACE_PX} pixels on each side`);

export const requestSchemas = {
  /** Shows an open dialog; imports what the user picked. null when cancelled. */
  'library:importDialog': z.object({ kind: z.enum(['files', 'folder']) }).strict(),
  /** Imports dropped files. Paths come from the preload's drop handler. */
  'library:importDropped': z.object({ paths: z.array(z.string().min(1)).min(1).max(10000) }).strict(),
  'library:list': none,
  'library:get': z.object({ photoId: id }).strict(),
  'library:remove': z.object({ photoIds: z.array(id).min(1) }).strict(),
  'photos:detect': z.object({ photoIds: z.array(id).min(1) }).strict(),
  /** The photo is one aligned face ('always'), is not ('never'), or null: follow the setting. Returns the photo. */
  'photos:setAligned': z.object({ photoId: id, aligned: z.enum(['always', 'never']).nullable() }).strict(),
  /** The photo's damage mask for the viewer: the user's, else the detector's (computed now). */
  'photos:damageMask': z.object({ photoId: id }).strict(),
  /** Stores the user's mask (a PNG data URL, white = repair) for the next restore; null = back to the detector. Returns the photo. */
  'photos:setDamageMask': z
    .object({ photoId: id, png: z.string().startsWith('data:image/png;base64,').max(MAX_MASK_DATA_URL).nullable() })
    .strict(),
  /** A face decision: include or skip, a new seed, its own fidelity (0 faithful .. 1 realistic; null = follow the setting). */
  'faces:update': z
    .object({
      faceId: id,
      include: z.boolean().optional(),
      seed: z.number().int().min(0).max(MAX_SEED).optional(),
      fidelity: z.number().min(0).max(1).nullable().optional(),
    })
    .strict(),
  /** Adds a face the user drew (the detector missed it); returns the photo with its faces. */
  'faces:add': z.object({ photoId: id, box: faceBoxSchema }).strict(),
  /** Removes a face the user drew (detected faces are skipped with `include`, not removed); returns the photo. */
  'faces:remove': z.object({ faceId: id }).strict(),
  /** Restores one face at the current settings and returns both the mean and the flow result. */
  'faces:preview': z.object({ faceId: id }).strict(),
  'settings:get': none,
  'settings:set': appSettingsSchema,
  /** Shows a folder dialog for the output folder; returns the updated settings. */
  'settings:pickOutputFolder': none,
  'jobs:start': z.object({ photoIds: z.array(id).min(1) }).strict(),
  'jobs:pause': z.object({ jobId: id }).strict(),
  'jobs:resume': z.object({ jobId: id }).strict(),
  'jobs:cancel': z.object({ jobId: id }).strict(),
  'jobs:current': none,
  'models:status': none,
  'models:install': none,
  'models:cancelInstall': none,
  /** Shows an open dialog for a .safetensors file and imports it. */
  'models:importDialog': none,
  /** `labels` writes "Before" / "After" on side-by-side pairs. */
  'export:run': z.object({ photoIds: z.array(id).min(1), pairs: z.enum(PAIR_MODES), labels: z.boolean().optional() }).strict(),
  /** Shows the export (output) folder in the system's file manager. */
  'export:openFolder': none,
} as const;

export type Channel = keyof typeof requestSchemas;
export type RequestArgs<C extends Channel> = z.infer<(typeof requestSchemas)[C]>;
/** What `faces:update` may change about a face. */
export type FaceChange = Omit<RequestArgs<'faces:update'>, 'faceId'>;

/** Result type of each channel. */
export interface RequestResults {
  'library:importDialog': ImportResult | null;
  'library:importDropped': ImportResult;
  'library:list': PhotoSummary[];
  'library:get': PhotoDetail;
  'library:remove': void;
  'photos:detect': PhotoDetail[];
  'photos:setAligned': PhotoDetail;
  'photos:damageMask': DamageMaskView;
  'photos:setDamageMask': PhotoDetail;
  'faces:update': FaceRecord;
  'faces:add': PhotoDetail;
  'faces:remove': PhotoDetail;
  'faces:preview': FacePreview;
  'settings:get': AppSettings;
  'settings:set': AppSettings;
  'settings:pickOutputFolder': AppSettings;
  'jobs:start': JobProgress;
  'jobs:pause': JobProgress;
  'jobs:resume': JobProgress;
  'jobs:cancel': JobProgress;
  'jobs:current': JobProgress | null;
  'models:status': ModelStatus;
  'models:install': ModelStatus;
  'models:cancelInstall': void;
  'models:importDialog': ModelStatus | null;
  'export:run': ExportSummary;
  'export:openFolder': void;
}

/** Pushed events, main -> renderer. */
export interface IpcEvents {
  'jobs:progress': JobProgress;
  'library:changed': { photoIds: number[] };
  'models:progress': DownloadProgress;
}
export type EventName = keyof IpcEvents;

/** A failed call: the message is meant for the user. */
export interface IpcErrorPayload {
  code: 'invalid-arguments' | 'not-found' | 'not-allowed' | 'no-model' | 'failed';
  message: string;
}

/** The bridge: named functions only, typed from the maps above. */
export interface HeirloomApi {
  invoke<C extends Channel>(channel: C, args: RequestArgs<C>): Promise<RequestResults[C]>;
  /** Subscribes to a pushed event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: IpcEvents[E]) => void): () => void;
  /** URL of an image the renderer may show (custom protocol in the app, HTTP in tests). */
  mediaUrl(ref: MediaRef, version?: number): string;
  /** Paths of files dropped on the window (Electron's webUtils in the preload). */
  pathsForDroppedFiles(files: File[]): string[];
}

/** Validates a call's arguments; throws a readable message for the renderer. */
export function parseRequest<C extends Channel>(channel: C, args: unknown): RequestArgs<C> {
  // Own keys only: `__proto__` or `toString` must not reach a schema lookup.
  if (!isChannel(channel)) throw new Error(`unknown channel ${String(channel)}`);
  const schema = requestSchemas[channel];
  const r = schema.safeParse(args ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ');
    throw new Error(`invalid arguments for ${channel}: ${issues}`);
  }
  return r.data as RequestArgs<C>;
}

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, name);
}
