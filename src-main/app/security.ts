/**
 * Secure defaults for every page: where our pages come from, the CSP they get, and the guards
 * against navigation, new windows, webviews, permissions and remote content.
 */
import { session, shell, type WebContents } from 'electron';
import { MEDIA_SCHEME } from '../../src-shared/media-ref.ts';

/** Our pages are served from `heirloom://app/` (see protocols.ts), never from file:// or the web. */
export const APP_SCHEME = 'heirloom';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** The same policy the renderer build puts in its meta tag (vite.config.ts), sent as a header too. */
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

/** Applied to every WebContents the app creates (app.on('web-contents-created')). */
export function hardenWebContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to the web (licence, help) open in the user's browser, never inside the app.
    if (/^https:\/\//i.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

/** No permissions (camera, notifications, ...) and no requests to the network from pages. */
export function hardenSession(isAppUrl: (url: string) => boolean): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (details, callback) => {
    // Only a development renderer server may be reached; everything remote is refused.
    callback({ cancel: !isAppUrl(details.url) });
  });
}
