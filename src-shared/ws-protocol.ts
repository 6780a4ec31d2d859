/**
 * Messages of the test transport: the same `HeirloomApi` over a WebSocket (browser e2e tests
 * and renderer development without Electron). Imports nothing from src-main, node or electron.
 *
 * How a renderer connects (see scripts/dev-server.ts):
 * - the dev server serves the built renderer, the socket and the media on ONE origin:
 *   socket `ws://127.0.0.1:PORT/ws`, media `http://127.0.0.1:PORT/media/<mediaPath(ref)>`;
 * - a renderer served elsewhere (Vite dev) can pass `?transport=ws://127.0.0.1:PORT/ws` in its
 *   page URL; media then lives at the same host's `http://` origin (see `wsMediaBase`).
 * Client -> server: `WsRequest`. Server -> client: `WsResponse` (one per request id) or
 * `WsEventMessage` (pushed `IpcEvents`).
 */
import type { EventName, IpcErrorPayload, IpcEvents } from './ipc.ts';

export const WS_PATH = '/ws';
export const MEDIA_HTTP_PREFIX = '/media/';
/** Query parameter a renderer reads to find the socket when it is not served by the dev server. */
export const WS_TRANSPORT_PARAM = 'transport';

export interface WsRequest {
  id: number;
  channel: string;
  args: unknown;
}

export type WsResponse = { id: number; result: unknown } | { id: number; error: IpcErrorPayload };

export type WsEventMessage = { [E in EventName]: { event: E; payload: IpcEvents[E] } }[EventName];

export type WsServerMessage = WsResponse | WsEventMessage;

/** `ws://127.0.0.1:5180/ws` -> `http://127.0.0.1:5180/media/` (where media refs are served). */
export function wsMediaBase(socketUrl: string): string {
  const u = new URL(socketUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = MEDIA_HTTP_PREFIX;
  u.search = '';
  return u.toString();
}

export function isWsEventMessage(m: WsServerMessage): m is WsEventMessage {
  return 'event' in m;
}
