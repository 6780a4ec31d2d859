/**
 * Guards for every page: no navigation away from our origin, no new windows or webviews, no
 * permissions, no remote requests. (Which URLs are ours: origins.ts.)
 */
import { session, shell, type WebContents } from 'electron';
import { isAllowedExternalUrl } from './origins.ts';

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
    // Links to the sites the app links to open in the user's browser, never inside the app.
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
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
