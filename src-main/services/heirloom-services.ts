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
  type Channel,
  type EventName,
  type IpcEvents,
  type JobProgress,
  type MediaRef,
  type RequestArgs,
  type RequestResults,
} from '../../src-shared/ipc.ts';
import { PathAllowList } from './allow-list.ts';
import { ServiceContext, type ChannelHandlers, type ServiceDeps } from './context.ts';
import { ServiceError } from './errors.ts';
import { EventHub } from './events.ts';
import { exportHandlers } from './handlers/export.ts';
import { repairHandlers } from './handlers/repair.ts';
import { faceHandlers } from './handlers/faces.ts';
import { jobHandlers } from './handlers/jobs.ts';
import { libraryHandlers } from './handlers/library.ts';
import { modelHandlers } from './handlers/models.ts';
import { settingsHandlers } from './handlers/settings.ts';
import { MediaCache, type CachedFile } from './media-cache.ts';

export interface ServicesDeps extends ServiceDeps {
  /** Folder for thumbnails, previews and face crops (the app's cache, never the user's folders). */
  cacheDir: string;
  /** Pre-filled allow-list (tests, the dev server's simulated drops); a new one otherwise. */
  allowList?: PathAllowList;
}


export class HeirloomServices {
  readonly allowList: PathAllowList;
  readonly #d: ServicesDeps;
  readonly #events = new EventHub();
  readonly #media: MediaCache;
  readonly #handlers: ChannelHandlers<Channel>;
  readonly #c: ServiceContext;
  readonly #offJobs: () => void;
  #lastJobPhoto: number | null = null;

  constructor(deps: ServicesDeps) {
    this.#d = deps;
    this.allowList = deps.allowList ?? new PathAllowList();
    this.#media = new MediaCache(deps.cacheDir, (r) => deps.images.displayCopy(r));
    // The output folder saved in settings was picked by the user in an earlier session.
    const saved = deps.library.getSettings().outputFolder;
    if (saved !== null) this.allowList.add(saved);
    this.#offJobs = deps.jobs.onProgress((p) => this.#onJobProgress(p));
    const c = new ServiceContext(deps, this.allowList, this.#media, this.#events);
    this.#c = c;
    // One file per area (services/handlers/); together they cover every channel of the contract.
    this.#handlers = {
      ...libraryHandlers(c),
      ...faceHandlers(c),
      ...settingsHandlers(c),
      ...jobHandlers(c),
      ...modelHandlers(c),
      ...exportHandlers(c),
      ...repairHandlers(c),
    };
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

  /**
   * Registers paths the user dropped on the window (the preload reports them; see register.ts):
   * import only, after the checks of allow-list.ts. Returns the paths refused.
   */
  allowDropped(paths: readonly string[]): string[] {
    return this.allowList.addDropped(paths).map((r) => r.path);
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
        const src = this.#c.photoFile(face.photoId);
        await this.#d.inference.alignFace(src, face, file);
      }
      return { path: file, mime: 'image/png' };
    }
    if (ref.kind === 'restored') {
      const out = lib.restoredPath(ref.photoId);
      if (out === null || !(await exists(out))) throw new ServiceError('not-found', `photo ${ref.photoId} has no restored file`);
      return this.#media.preview('restored', ref.photoId, out);
    }
    const src = this.#c.photoFile(ref.photoId);
    if (ref.kind === 'thumb') {
      // The gallery shows what the user gets: the restored photo once there is one.
      const out = lib.restoredPath(ref.photoId);
      if (out !== null && (await exists(out))) return this.#media.thumbnail(ref.photoId, out, 'restored');
      return this.#media.thumbnail(ref.photoId, src);
    }
    return this.#media.preview('original', ref.photoId, src);
  }

  dispose(): void {
    this.#offJobs();
  }

  #onJobProgress(p: JobProgress): void {
    this.#events.emit('jobs:progress', p);
    // The gallery refreshes a photo when the batch reaches it (restoring) and moves past it.
    const now = p.current?.photoId ?? null;
    if (this.#lastJobPhoto !== now) this.#c.changed([this.#lastJobPhoto, now].filter((id): id is number => id !== null));
    this.#lastJobPhoto = now;
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
