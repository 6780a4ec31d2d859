/**
 * Every channel of the IPC contract, independent of Electron: the Electron handlers, the
 * WebSocket test transport and unit tests all call `handle(channel, args)`.
 *
 * Trust nothing from the caller: arguments are validated with the contract's schemas, files and
 * folders are touched only when the user picked them (dialog or drop, see PathAllowList), and
 * media is served only by the id of a photo or face the library knows.
 */
import { access } from 'node:fs/promises';
import {
  isChannel,
  parseRequest,
  type AppSettings,
  type Channel,
  type EventName,
  type FacePreview,
  type IpcEvents,
  type JobProgress,
  type MediaRef,
  type PhotoDetail,
  type RequestArgs,
  type RequestResults,
} from '../../src-shared/ipc.ts';
import { PathAllowList } from './allow-list.ts';
import { ServiceError } from './errors.ts';
import { EventHub } from './events.ts';
import { MediaCache, type CachedFile } from './media-cache.ts';
import type { ExportPort, InferencePort, JobsPort, LibraryPort, ModelsPort, Picker } from './ports.ts';

export interface ServicesDeps {
  library: LibraryPort;
  jobs: JobsPort;
  models: ModelsPort;
  exporter: ExportPort;
  inference: InferencePort;
  picker: Picker;
  /** Folder for thumbnails, previews and face crops (the app's cache, never the user's folders). */
  cacheDir: string;
  /** Pre-filled allow-list (tests, the dev server's simulated drops); a new one otherwise. */
  allowList?: PathAllowList;
}

type Handlers = { [C in Channel]: (args: RequestArgs<C>) => Promise<RequestResults[C]> };

export class HeirloomServices {
  readonly allowList: PathAllowList;
  readonly #d: ServicesDeps;
  readonly #events = new EventHub();
  readonly #media: MediaCache;
  readonly #handlers: Handlers;
  readonly #offJobs: () => void;
  #lastJobPhoto: number | null = null;

  constructor(deps: ServicesDeps) {
    this.#d = deps;
    this.allowList = deps.allowList ?? new PathAllowList();
    this.#media = new MediaCache(deps.cacheDir);
    // The output folder saved in settings was picked by the user in an earlier session.
    const saved = deps.library.getSettings().outputFolder;
    if (saved !== null) this.allowList.add(saved);
    this.#offJobs = deps.jobs.onProgress((p) => this.#onJobProgress(p));
    this.#handlers = this.#makeHandlers();
  }

  /** Validates and runs one call. Throws ServiceError (or an Error whose message is for the user). */
  async handle(channel: string, args: unknown): Promise<unknown> {
    if (!isChannel(channel)) throw new ServiceError('invalid-arguments', `unknown channel ${JSON.stringify(channel)}`);
    let parsed: RequestArgs<typeof channel>;
    try {
      parsed = parseRequest(channel, args);
    } catch (err) {
      throw new ServiceError('invalid-arguments', (err as Error).message);
    }
    const handler = this.#handlers[channel] as (a: unknown) => Promise<unknown>;
    return handler(parsed);
  }

  /** Typed form of `handle` for main-process callers and tests. */
  call<C extends Channel>(channel: C, args: RequestArgs<C>): Promise<RequestResults[C]> {
    return this.handle(channel, args) as Promise<RequestResults[C]>;
  }

  on<E extends EventName>(event: E, listener: (payload: IpcEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  onAny(listener: <E extends EventName>(event: E, payload: IpcEvents[E]) => void): () => void {
    return this.#events.onAny(listener);
  }

  /** Registers paths the user dropped on the window (the preload reports them; see register.ts). */
  allowDropped(paths: string[]): void {
    this.allowList.add(...paths);
  }

  /** The file behind a media ref, made on demand in the cache. Throws ServiceError('not-found'). */
  async media(ref: MediaRef): Promise<CachedFile> {
    const lib = this.#d.library;
    if (ref.kind === 'face') {
      const face = lib.getFace(ref.faceId);
      if (face === null) throw new ServiceError('not-found', `no face ${ref.faceId}`);
      const file = this.#media.facePath(face, ref.variant);
      if (!(await exists(file))) {
        if (ref.variant !== 'aligned') throw new ServiceError('not-found', `face ${ref.faceId} has no ${ref.variant} preview yet`);
        const src = this.#photoFile(face.photoId);
        await this.#d.inference.alignFace(src, face, file);
      }
      return { path: file, mime: 'image/png' };
    }
    if (ref.kind === 'restored') {
      const out = lib.restoredPath(ref.photoId);
      if (out === null || !(await exists(out))) throw new ServiceError('not-found', `photo ${ref.photoId} has no restored file`);
      return this.#media.preview('restored', ref.photoId, out);
    }
    const src = this.#photoFile(ref.photoId);
    return ref.kind === 'thumb' ? this.#media.thumbnail(ref.photoId, src) : this.#media.preview('original', ref.photoId, src);
  }

  dispose(): void {
    this.#offJobs();
  }

  #photoFile(photoId: number): string {
    const p = this.#d.library.photoPath(photoId);
    if (p === null) throw new ServiceError('not-found', `no photo ${photoId}`);
    return p;
  }

  #detail(photoId: number): PhotoDetail {
    const d = this.#d.library.getPhoto(photoId);
    if (d === null) throw new ServiceError('not-found', `no photo ${photoId}`);
    return d;
  }

  #settings(): AppSettings {
    return this.#d.library.getSettings();
  }

  #changed(photoIds: number[]): void {
    if (photoIds.length > 0) this.#events.emit('library:changed', { photoIds });
  }

  async #import(paths: string[]) {
    const out = this.#settings().outputFolder;
    const result = await this.#d.library.importPaths(paths, { exclude: out === null ? [] : [out] });
    this.#changed(result.photoIds);
    return result;
  }

  #onJobProgress(p: JobProgress): void {
    this.#events.emit('jobs:progress', p);
    // The gallery refreshes a photo when the batch reaches it (restoring) and moves past it.
    const now = p.current?.photoId ?? null;
    if (this.#lastJobPhoto !== now) this.#changed([this.#lastJobPhoto, now].filter((id): id is number => id !== null));
    this.#lastJobPhoto = now;
  }

  async #checkpoint(): Promise<string> {
    const ckpt = await this.#d.models.checkpointPath();
    if (ckpt === null) throw new ServiceError('no-model', 'The PMRF model is not installed yet: download or import it first.');
    return ckpt;
  }

  #makeHandlers(): Handlers {
    const lib = this.#d.library;
    const { jobs, models, picker, inference } = this.#d;
    return {
      'library:importDialog': async ({ kind }) => {
        const picked = await picker.importPaths(kind);
        if (picked === null || picked.length === 0) return null;
        this.allowList.add(...picked);
        return this.#import(picked);
      },
      'library:importDropped': async ({ paths }) => {
        const refused = paths.filter((p) => !this.allowList.has(p));
        if (refused.length > 0) {
          throw new ServiceError('not-allowed', `not a file you dropped or picked: ${refused.slice(0, 3).join(', ')}${refused.length > 3 ? ', ...' : ''}`);
        }
        return this.#import(paths);
      },
      'library:list': async () => lib.listPhotos(),
      'library:get': async ({ photoId }) => this.#detail(photoId),
      'library:remove': async ({ photoIds }) => {
        const known = photoIds.filter((id) => lib.photoPath(id) !== null);
        lib.removePhotos(known);
        await Promise.all(known.map((id) => this.#media.forgetPhoto(id)));
        this.#changed(known);
      },
      'photos:detect': async ({ photoIds }) => {
        const paths = photoIds.map((id) => [id, this.#photoFile(id)] as const);
        const out: PhotoDetail[] = [];
        // One at a time: a failure is recorded on its photo and the rest go on.
        for (const [id, file] of paths) {
          try {
            lib.setDetection(id, await inference.detect(file));
          } catch (err) {
            lib.setFailed(id, `face detection failed: ${(err as Error).message}`);
          }
          out.push(this.#detail(id));
          this.#changed([id]);
        }
        return out;
      },
      'faces:update': async ({ faceId, include, seed }) => {
        if (lib.getFace(faceId) === null) throw new ServiceError('not-found', `no face ${faceId}`);
        const face = lib.updateFace(faceId, { include, seed });
        this.#changed([face.photoId]);
        return face;
      },
      'faces:add': async ({ photoId, box }) => {
        const photo = this.#detail(photoId);
        // The stored size is checked first (cheap, clear message); the worker checks the decoded one.
        if (photo.width !== null && photo.height !== null && (box[0] + box[2] > photo.width || box[1] + box[3] > photo.height)) {
          throw new ServiceError('invalid-arguments', `the face box is outside the photo (${photo.width}x${photo.height})`);
        }
        const { points } = await inference.landmarks(this.#photoFile(photoId), box);
        // Score 1: the user is sure there is a face; `manual` marks where it came from.
        lib.addFace(photoId, { box, score: 1, points, manual: true });
        this.#changed([photoId]);
        return this.#detail(photoId);
      },
      'faces:remove': async ({ faceId }) => {
        const face = lib.getFace(faceId);
        if (face === null) throw new ServiceError('not-found', `no face ${faceId}`);
        // A detected face would come back on the next detection: those are skipped instead.
        if (face.manual !== true) throw new ServiceError('invalid-arguments', 'Only faces added by hand can be removed; untick "Restore this face" to skip a detected one.');
        lib.removeFace(faceId);
        await this.#media.forgetFace(face);
        this.#changed([face.photoId]);
        return this.#detail(face.photoId);
      },
      'faces:preview': async ({ faceId }) => {
        const face = lib.getFace(faceId);
        if (face === null) throw new ServiceError('not-found', `no face ${faceId}`);
        const checkpoint = await this.#checkpoint();
        const out = {
          aligned: this.#media.facePath(face, 'aligned'),
          mean: this.#media.facePath(face, 'mean'),
          flow: this.#media.facePath(face, 'flow'),
        };
        await inference.previewFace({ path: this.#photoFile(face.photoId), face, checkpoint, settings: this.#settings().restore, seed: face.seed, out });
        const preview: FacePreview = {
          faceId,
          seed: face.seed,
          mean: { kind: 'face', faceId, variant: 'mean' },
          flow: { kind: 'face', faceId, variant: 'flow' },
        };
        return preview;
      },
      'settings:get': async () => this.#settings(),
      'settings:set': async (next) => {
        const current = this.#settings();
        if (next.outputFolder !== null && next.outputFolder !== current.outputFolder && !this.allowList.has(next.outputFolder)) {
          throw new ServiceError('not-allowed', 'Choose the output folder with the folder dialog.');
        }
        lib.setSettings(next);
        return this.#settings();
      },
      'settings:pickOutputFolder': async () => {
        const folder = await picker.outputFolder();
        if (folder === null) return this.#settings();
        this.allowList.add(folder);
        lib.setSettings({ ...this.#settings(), outputFolder: folder });
        return this.#settings();
      },
      'jobs:start': async ({ photoIds }) => {
        for (const id of photoIds) this.#photoFile(id);
        const settings = this.#settings();
        if (settings.outputFolder === null) throw new ServiceError('invalid-arguments', 'Choose an output folder before starting a batch.');
        await this.#checkpoint();
        return jobs.start(photoIds, settings);
      },
      'jobs:pause': async ({ jobId }) => jobs.pause(jobId),
      'jobs:resume': async ({ jobId }) => jobs.resume(jobId),
      'jobs:cancel': async ({ jobId }) => jobs.cancel(jobId),
      'jobs:current': async () => jobs.current(),
      'models:status': async () => models.status(),
      'models:install': async () => models.install((p) => this.#events.emit('models:progress', p)),
      'models:cancelInstall': async () => models.cancelInstall(),
      'models:importDialog': async () => {
        const file = await picker.modelFile();
        if (file === null) return null;
        this.allowList.add(file);
        return models.importFile(file);
      },
      'export:run': async ({ photoIds, pairs, labels }) => {
        let folder = this.#settings().outputFolder;
        if (folder === null) {
          folder = await picker.outputFolder();
          if (folder === null) throw new ServiceError('invalid-arguments', 'Export cancelled: no folder chosen.');
          this.allowList.add(folder);
        }
        if (!this.allowList.has(folder)) throw new ServiceError('not-allowed', 'Choose the export folder with the folder dialog.');
        const photos = photoIds.map((photoId) => {
          const restored = lib.restoredPath(photoId);
          if (restored === null) throw new ServiceError('invalid-arguments', `photo ${photoId} is not restored yet`);
          return { photoId, original: this.#photoFile(photoId), restored };
        });
        return this.#d.exporter.run({ photos, pairs, labels: labels ?? false, folder, quality: this.#settings().restore.quality });
      },
    };
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
