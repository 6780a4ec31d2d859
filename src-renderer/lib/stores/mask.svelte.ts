// The damage mask of the photo open in the viewer: loaded from the main process (the user's, else
// the detector's), painted with the brush, saved for the next restore.
import { api } from '../api.ts';
import { maskFromRgba, maskRgba, paintStroke, veilRgba } from '../mask.ts';
import { attempt } from './notices.svelte.ts';

function rgbaToDataUrl(rgba: Uint8ClampedArray, width: number, height: number): string {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  return canvas.toDataURL('image/png');
}

async function decodePng(url: string, width: number, height: number): Promise<Uint8ClampedArray> {
  const img = new Image();
  img.src = url;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.drawImage(img, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height).data;
}

class MaskStore {
  photoId = $state<number | null>(null);
  loading = $state(false);
  saving = $state(false);
  /** The veil over the photo (a PNG data URL), or null while none is loaded. */
  veil = $state<string | null>(null);
  /** The mask shown is the user's (saved) one. */
  edited = $state(false);
  /** Painted since it was loaded or saved. */
  dirty = $state(false);
  width = 0;
  height = 0;
  #mask: Uint8Array | null = null;
  #veilTimer: ReturnType<typeof setTimeout> | null = null;

  async load(photoId: number): Promise<void> {
    this.photoId = photoId;
    this.loading = true;
    this.veil = null;
    this.#mask = null;
    this.dirty = false;
    try {
      const view = await attempt('Could not find the damage in this photo', () => api.invoke('photos:damageMask', { photoId }));
      if (!view || this.photoId !== photoId) return;
      this.width = view.width;
      this.height = view.height;
      this.#mask = maskFromRgba(await decodePng(view.png, view.width, view.height), view.width, view.height);
      this.edited = view.edited;
      this.#refreshVeil();
    } finally {
      if (this.photoId === photoId) this.loading = false;
    }
  }

  close(): void {
    this.photoId = null;
    this.veil = null;
    this.#mask = null;
    this.dirty = false;
  }

  /** A brush stroke in photo pixels; the veil follows at most 4 times a second while painting. */
  paint(a: readonly [number, number], b: readonly [number, number], radius: number, add: boolean): void {
    if (this.#mask === null) return;
    if (paintStroke(this.#mask, this.width, this.height, a, b, radius, add ? 255 : 0)) {
      this.dirty = true;
      this.#veilTimer ??= setTimeout(() => {
        this.#veilTimer = null;
        this.#refreshVeil();
      }, 250);
    }
  }

  async save(): Promise<boolean> {
    const id = this.photoId;
    if (id === null || this.#mask === null) return false;
    this.saving = true;
    try {
      const png = rgbaToDataUrl(maskRgba(this.#mask), this.width, this.height);
      const d = await attempt('Could not save the damage mask', () => api.invoke('photos:setDamageMask', { photoId: id, png }));
      if (d) {
        this.edited = true;
        this.dirty = false;
      }
      return d !== null && d !== undefined;
    } finally {
      this.saving = false;
    }
  }

  /** Forget the user's mask: the detector decides again. */
  async useDetected(): Promise<void> {
    const id = this.photoId;
    if (id === null) return;
    await attempt('Could not reset the damage mask', () => api.invoke('photos:setDamageMask', { photoId: id, png: null }));
    await this.load(id);
  }

  #refreshVeil(): void {
    if (this.#mask !== null) this.veil = rgbaToDataUrl(veilRgba(this.#mask), this.width, this.height);
  }
}

export const mask = new MaskStore();
