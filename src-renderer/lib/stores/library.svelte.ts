// The photo library as the renderer sees it: summaries for the gallery, details (faces, result)
// for photos the viewer opened, and a version per photo so images reload after a change.
import type { FaceChange, FaceRecord, ImportResult, MediaRef, PhotoDetail, PhotoSummary } from '../../../src-shared/ipc.ts';
import { api } from '../api.ts';
import { attempt, notices } from './notices.svelte.ts';

function importMessage(r: ImportResult): string {
  const parts = [`${r.added} photo${r.added === 1 ? '' : 's'} added`];
  if (r.unchanged > 0) parts.push(`${r.unchanged} already in the library`);
  if (r.failed.length > 0) parts.push(`${r.failed.length} could not be read`);
  return parts.join(', ') + '.';
}

let lastVersion = 0;
/** A cache-busting number that never repeats, even after a restart. */
export function nextVersion(): number {
  lastVersion = Math.max(lastVersion + 1, Date.now());
  return lastVersion;
}

class LibraryStore {
  photos = $state.raw<PhotoSummary[]>([]);
  loaded = $state(false);
  details = $state.raw<ReadonlyMap<number, PhotoDetail>>(new Map());
  versions = $state.raw<ReadonlyMap<number, number>>(new Map());
  importing = $state(false);
  lastImport = $state.raw<ImportResult | null>(null);
  #pendingChanged = new Set<number>();
  #changeTimer: ReturnType<typeof setTimeout> | null = null;

  byId(id: number): PhotoSummary | undefined {
    return this.photos.find((p) => p.id === id);
  }

  mediaUrl(ref: MediaRef): string {
    const version = ref.kind === 'face' ? undefined : this.versions.get(ref.photoId);
    return api.mediaUrl(ref, version);
  }

  async load(): Promise<void> {
    const list = await attempt('Could not load the library', () => api.invoke('library:list', {}));
    if (list) this.photos = list;
    this.loaded = true;
  }

  /** Fetches a photo's faces and result (cached until the photo changes). */
  async detail(photoId: number, force = false): Promise<PhotoDetail | undefined> {
    const cached = this.details.get(photoId);
    if (cached && !force) return cached;
    const d = await attempt('Could not open the photo', () => api.invoke('library:get', { photoId }));
    if (d) this.#storeDetail(d);
    return d;
  }

  #storeDetail(d: PhotoDetail): void {
    const details = new Map(this.details);
    details.set(d.id, d);
    this.details = details;
    this.photos = this.photos.map((p) => (p.id === d.id ? { ...p, status: d.status, faceCount: d.faceCount, error: d.error, width: d.width, height: d.height, outOfDate: d.outOfDate } : p));
  }

  async importDialog(kind: 'files' | 'folder'): Promise<void> {
    await this.#import(() => api.invoke('library:importDialog', { kind }));
  }

  async importDropped(paths: string[]): Promise<void> {
    if (paths.length === 0) {
      notices.push('info', 'Dropping files works in the desktop app. Use Add photos instead.');
      return;
    }
    await this.#import(() => api.invoke('library:importDropped', { paths }));
  }

  async #import(call: () => Promise<ImportResult | null>): Promise<void> {
    this.importing = true;
    try {
      const r = await attempt('Import failed', call);
      if (!r) return; // cancelled or failed (already reported)
      this.lastImport = r;
      await this.load();
      notices.push(r.failed.length > 0 ? 'error' : 'success', importMessage(r));
      // Look for faces right away so the gallery shows what will be restored.
      const fresh = r.photoIds.filter((id) => this.byId(id)?.status === 'new');
      if (fresh.length > 0) await this.detect(fresh);
      // A file whose header reads but whose pixels do not fails only now: say so too.
      const unreadable = fresh.filter((id) => this.byId(id)?.status === 'failed').length;
      if (unreadable > 0) {
        notices.push('error', `${unreadable} more photo${unreadable === 1 ? '' : 's'} could not be read. Open ${unreadable === 1 ? 'it' : 'them'} to see why.`);
      }
    } finally {
      this.importing = false;
    }
  }

  async detect(photoIds: number[]): Promise<void> {
    if (photoIds.length === 0) return;
    const res = await attempt('Face detection failed', () => api.invoke('photos:detect', { photoIds }));
    for (const d of res ?? []) this.#storeDetail(d);
  }

  async remove(photoIds: number[]): Promise<void> {
    if (photoIds.length === 0) return;
    await attempt('Could not remove the photos', () => api.invoke('library:remove', { photoIds }));
    await this.load();
  }

  async updateFace(face: FaceRecord, patch: FaceChange): Promise<void> {
    const updated = await attempt('Could not update the face', () => api.invoke('faces:update', { faceId: face.id, ...patch }));
    if (!updated) return;
    const d = this.details.get(updated.photoId);
    if (d) this.#storeDetail({ ...d, faces: d.faces.map((f) => (f.id === updated.id ? updated : f)) });
  }

  /** The user's choice to restore a photo whole as one aligned face (null: follow the setting). */
  async setAligned(photoId: number, aligned: 'always' | 'never' | null): Promise<void> {
    const d = await attempt('Could not change the photo', () => api.invoke('photos:setAligned', { photoId, aligned }));
    if (d) this.#storeDetail(d);
  }

  /** Adds a face the user drew; returns the new face (the photo's last), or undefined when it failed (reported). */
  async addFace(photoId: number, box: [number, number, number, number]): Promise<FaceRecord | undefined> {
    const d = await attempt('Could not add the face', () => api.invoke('faces:add', { photoId, box }));
    if (!d) return undefined;
    this.#storeDetail(d);
    return d.faces.at(-1);
  }

  /** Removes a face the user drew. */
  async removeFace(face: FaceRecord): Promise<void> {
    const d = await attempt('Could not remove the face', () => api.invoke('faces:remove', { faceId: face.id }));
    if (d) this.#storeDetail(d);
  }

  /** `library:changed` from the main process: coalesced, then list and open details refreshed. */
  changed(photoIds: number[]): void {
    for (const id of photoIds) this.#pendingChanged.add(id);
    if (this.#changeTimer !== null) return;
    this.#changeTimer = setTimeout(() => void this.#flushChanged(), 150);
  }

  async #flushChanged(): Promise<void> {
    this.#changeTimer = null;
    const ids = [...this.#pendingChanged];
    this.#pendingChanged.clear();
    // Versions are unique across sessions: media with a version is cached as immutable.
    const versions = new Map(this.versions);
    for (const id of ids) versions.set(id, nextVersion());
    this.versions = versions;
    await this.load();
    const stale = ids.filter((id) => this.details.has(id));
    const present = new Set(this.photos.map((p) => p.id));
    const details = new Map(this.details);
    for (const id of stale) if (!present.has(id)) details.delete(id);
    this.details = details;
    await Promise.all(stale.filter((id) => present.has(id)).map((id) => this.detail(id, true)));
  }
}

export const library = new LibraryStore();
