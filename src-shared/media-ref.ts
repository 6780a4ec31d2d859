/**
 * MediaRef <-> URL path, shared by the preload (`heirloom-media://media/<path>`), the test
 * transport (`http://127.0.0.1:PORT/media/<path>`) and the main process that parses them back.
 * Only ids travel in a URL, never a file path.
 */
import type { MediaRef } from './ipc.ts';

/** Scheme of the app's media protocol (registered privileged in the main process). */
export const MEDIA_SCHEME = 'heirloom-media';
/** Host part of every media URL: `heirloom-media://media/thumb/12?v=3`. */
export const MEDIA_HOST = 'media';

const FACE_VARIANTS = ['aligned', 'mean', 'flow'] as const;

/** `thumb/12`, `face/7/flow`, ... plus `?v=N` when a version is given (cache busting). */
export function mediaPath(ref: MediaRef, version?: number): string {
  const p = ref.kind === 'face' ? `face/${ref.faceId}/${ref.variant}` : `${ref.kind}/${ref.photoId}`;
  return version === undefined ? p : `${p}?v=${encodeURIComponent(String(version))}`;
}

/** The app's URL for a media ref (used by the preload). */
export function mediaProtocolUrl(ref: MediaRef, version?: number): string {
  return `${MEDIA_SCHEME}://${MEDIA_HOST}/${mediaPath(ref, version)}`;
}

/** Parses the path part (`thumb/12`, leading slashes and a query allowed); null when malformed. */
export function parseMediaPath(p: string): MediaRef | null {
  const clean = p.split('?')[0].replace(/^\/+/, '').replace(/\/+$/, '');
  const parts = clean.split('/');
  const n = Number(parts[1]);
  if (!/^[1-9][0-9]{0,12}$/.test(parts[1] ?? '') || !Number.isSafeInteger(n)) return null;
  if (parts.length === 2 && (parts[0] === 'thumb' || parts[0] === 'original' || parts[0] === 'restored')) {
    return { kind: parts[0], photoId: n };
  }
  if (parts.length === 3 && parts[0] === 'face') {
    const v = FACE_VARIANTS.find((x) => x === parts[2]);
    if (v !== undefined) return { kind: 'face', faceId: n, variant: v };
  }
  return null;
}
