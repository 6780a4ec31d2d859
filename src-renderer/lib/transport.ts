// Where the WebSocket test transport lives, from the page URL. Pure: unit-tested without a DOM.
import { WS_PATH, WS_TRANSPORT_PARAM } from '../../src-shared/ws-protocol.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * `?transport=ws://127.0.0.1:PORT/ws` wins (a renderer served by Vite dev); otherwise a page
 * served over HTTP talks to `/ws` on its own origin (the dev server serves both); a page from
 * file: or a custom protocol has no transport (null). Only loopback sockets are accepted, so a
 * crafted link cannot point the app at another machine.
 */
export function transportFromLocation(loc: { search: string; protocol: string; host: string }): string | null {
  const param = new URLSearchParams(loc.search).get(WS_TRANSPORT_PARAM);
  if (param !== null) {
    let u: URL;
    try {
      u = new URL(param);
    } catch {
      throw new Error(`refusing transport ${JSON.stringify(param)}: not a URL`);
    }
    if ((u.protocol === 'ws:' || u.protocol === 'wss:') && LOOPBACK.has(u.hostname)) return u.toString();
    throw new Error(`refusing transport ${param}: only ws://127.0.0.1 is allowed`);
  }
  if (loc.protocol === 'http:' || loc.protocol === 'https:') {
    return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${WS_PATH}`;
  }
  return null;
}
