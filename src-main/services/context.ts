/**
 * What every IPC area's handlers share: the ports, the path allow-list, the media cache, the
 * event hub and the small lookups that turn an id into a checked record or file.
 */
import type { AppSettings, Channel, ImportResult, PhotoDetail, RequestArgs, RequestResults } from '../../src-shared/ipc.ts';
import type { PathAllowList } from './allow-list.ts';
import { ServiceError } from './errors.ts';
import type { EventHub } from './events.ts';
import type { MediaCache } from './media-cache.ts';
import type { ExportPort, InferencePort, JobsPort, LibraryPort, MediaPort, ModelsPort, Picker } from './ports.ts';

export interface ServiceDeps {
  library: LibraryPort;
  jobs: JobsPort;
  models: ModelsPort;
  exporter: ExportPort;
  inference: InferencePort;
  /** Display copies (thumbnails, previews), made in a worker process. */
  images: MediaPort;
  picker: Picker;
}

/** One handler per channel, typed from the contract. */
export type ChannelHandlers<C extends Channel> = { [K in C]: (args: RequestArgs<K>) => Promise<RequestResults[K]> };

export class ServiceContext {
  constructor(
    readonly deps: ServiceDeps,
    readonly allowList: PathAllowList,
    readonly media: MediaCache,
    readonly events: EventHub,
  ) {}

  get library(): LibraryPort {
    return this.deps.library;
  }

  /** The original file of a photo; not-found for an unknown id. */
  photoFile(photoId: number): string {
    const p = this.deps.library.photoPath(photoId);
    if (p === null) throw new ServiceError('not-found', `no photo ${photoId}`);
    return p;
  }

  detail(photoId: number): PhotoDetail {
    const d = this.deps.library.getPhoto(photoId);
    if (d === null) throw new ServiceError('not-found', `no photo ${photoId}`);
    return d;
  }

  settings(): AppSettings {
    return this.deps.library.getSettings();
  }

  changed(photoIds: number[]): void {
    if (photoIds.length > 0) this.events.emit('library:changed', { photoIds });
  }

  /** Imports paths already allowed; the output folder is never walked into. */
  async importAllowed(paths: string[]): Promise<ImportResult> {
    const out = this.settings().outputFolder;
    const result = await this.deps.library.importPaths(paths, { exclude: out === null ? [] : [out] });
    this.changed(result.photoIds);
    return result;
  }

  /** The installed checkpoint; no-model with what to do when there is none. */
  async checkpoint(): Promise<string> {
    const ckpt = await this.deps.models.checkpointPath();
    if (ckpt === null) throw new ServiceError('no-model', 'The PMRF model is not installed yet: download or import it first.');
    return ckpt;
  }
}
