/**
 * Which pages are ours, and the CSP they get. Pure (no Electron runtime import) so it is unit
 * tested in plain Node; security.ts, protocols.ts and ipc/register.ts use it.
 */
import { MEDIA_SCHEME } from '../../src-shared/media-ref.ts';

/** Our pages are served from `heirloom://app/` (see protocols.ts), never from file:// or the web. */
export const APP_SCHEME = 'heirloom';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** The renderer build's production CSP (vite.config.ts puts it in a meta tag), sent as a header too. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  `img-src 'self' data: blob: ${MEDIA_SCHEME}:`,
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Which URLs count as our app: the app origin, plus a renderer dev server (`http://localhost:5173`)
 * when one is given in development.
 */
export function appUrlMatcher(devServerUrl: string | null): (url: string) => boolean {
  const devOrigin = devServerUrl === null ? null : new URL(devServerUrl).origin;
  return (url: string) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.protocol === `${APP_SCHEME}:` && u.host === 'app') return true;
    return devOrigin !== null && u.origin === devOrigin;
  };
}

/** The minimum of Electron's WebFrameMain that the sender check reads. */
export interface FrameLike {
  readonly url: string;
  readonly parent: unknown;
}

/** The sender is the top frame of a page loaded from one of our URLs (not an iframe, not remote content). */
export function isTrustedFrame(frame: FrameLike | null | undefined, isAppUrl: (url: string) => boolean): boolean {
  return frame != null && frame.parent === null && isAppUrl(frame.url);
}

/**
 * Hosts the app links to (the model's page and licence on Hugging Face, the project's page):
 * only these go to the user's browser (shell.openExternal); any other URL a page tries to open is
 * dropped, so a compromised page cannot hand the system an arbitrary link or scheme.
 */
export const EXTERNAL_HOSTS: readonly string[] = ['huggingface.co', 'github.com'];

export function isAllowedExternalUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && u.port === '' && u.username === '' && u.password === '' && EXTERNAL_HOSTS.includes(u.hostname);
}
