/**
 * Rules both processes (and the renderer) must agree on, kept once. Pure: no node, no electron.
 */

/** PMRF flow steps K a user may ask for (CLI, settings, IPC). */
export const MIN_STEPS = 1;
export const MAX_STEPS = 100;

/** Seeds are unsigned 32-bit integers. */
export const MAX_SEED = 2 ** 32 - 1;

/** A fresh seed in [0, MAX_SEED] ("New variation", "Random"): Web Crypto, in Node and the browser. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

/**
 * The seed of face `index` of a photo for a base seed: distinct per face, stable across runs,
 * wrapping at 2^32. Every place that derives a face's seed uses this.
 */
export function faceSeed(baseSeed: number, index: number): number {
  return (baseSeed + index) >>> 0;
}

/** File extensions Heirloom imports as photos (lower case, with the dot). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.heic', '.heif', '.avif'] as const;

/** Whether a file name has one of IMAGE_EXTENSIONS (case-insensitive). */
export function isImageName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return false;
  const ext = name.slice(dot).toLowerCase();
  return (IMAGE_EXTENSIONS as readonly string[]).includes(ext);
}
