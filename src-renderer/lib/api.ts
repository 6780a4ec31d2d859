/**
 * The renderer's only way to reach the main process: one `HeirloomApi`, chosen at startup.
 * - In Electron the preload exposes it as `window.heirloom`.
 * - In tests and browser development it is a WebSocket client of scripts/dev-server.ts: the
 *   socket is `?transport=ws://127.0.0.1:PORT/ws` when given, otherwise `/ws` on the page's own
 *   origin (the dev server serves the built renderer, the socket and the media together).
 * No other renderer file touches `window.heirloom` or the socket.
 */
import type {
  Channel,
  EventName,
  HeirloomApi,
  IpcErrorPayload,
  IpcEvents,
  MediaRef,
  RequestArgs,
  RequestResults,
} from '../../src-shared/ipc.ts';
import { mediaPath } from '../../src-shared/media-ref.ts';
import { transportFromLocation } from './transport.ts';
import {
  wsMediaBase,
  isWsEventMessage,
  type WsRequest,
  type WsServerMessage,
} from '../../src-shared/ws-protocol.ts';

declare global {
  interface Window {
    /** Exposed by the preload (src-main/preload); absent in a plain browser. */
    heirloom?: HeirloomApi;
  }
}

const ERROR_CODES: readonly IpcErrorPayload['code'][] = ['invalid-arguments', 'not-found', 'not-allowed', 'no-model', 'failed'];

/** A failed call; `message` is meant for the user. */
export class ApiError extends Error {
  readonly code: IpcErrorPayload['code'];
  constructor(payload: IpcErrorPayload) {
    super(payload.message);
    this.name = 'ApiError';
    this.code = payload.code;
  }
}

/** A readable message from anything thrown by a call (Electron prefixes its own text). */
export function errorMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  return raw.replace(/^Error invoking remote method '[^']+': (?:\w*Error: )?/, '');
}

function isErrorPayload(v: unknown): v is IpcErrorPayload {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.message === 'string' && typeof o.code === 'string' && (ERROR_CODES as readonly string[]).includes(o.code);
}

function parseServerMessage(data: unknown): WsServerMessage | null {
  if (typeof data !== 'string') return null;
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.event === 'string' && 'payload' in o) return v as WsServerMessage;
  if (typeof o.id === 'number' && ('result' in o || isErrorPayload(o.error))) return v as WsServerMessage;
  return null;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

type AnyListener = (payload: unknown) => void;

/** HeirloomApi over the dev server's WebSocket (src-shared/ws-protocol.ts). */
export function createWsApi(socketUrl: string): HeirloomApi {
  const mediaBase = wsMediaBase(socketUrl);
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<AnyListener>>();
  let nextId = 1;
  let closedError: Error | null = null;

  const socket = new WebSocket(socketUrl);
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to ${socketUrl}`)), { once: true });
  });
  // Avoid an unhandled rejection when nobody has called yet.
  opened.catch(() => undefined);

  socket.addEventListener('message', (ev: MessageEvent) => {
    const msg = parseServerMessage(ev.data);
    if (msg === null) {
      console.warn('heirloom: ignored a malformed message from the transport');
      return;
    }
    if (isWsEventMessage(msg)) {
      for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
      return;
    }
    const p = pending.get(msg.id);
    if (p === undefined) return;
    pending.delete(msg.id);
    if ('error' in msg) p.reject(new ApiError(msg.error));
    else p.resolve(msg.result);
  });
  socket.addEventListener('close', () => {
    closedError = new Error('Lost the connection to Heirloom. Reload the window to reconnect.');
    for (const p of pending.values()) p.reject(closedError);
    pending.clear();
  });

  return {
    async invoke<C extends Channel>(channel: C, args: RequestArgs<C>): Promise<RequestResults[C]> {
      await opened;
      if (closedError !== null) throw closedError;
      const id = nextId++;
      const req: WsRequest = { id, channel, args };
      return new Promise<RequestResults[C]>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        socket.send(JSON.stringify(req));
      });
    },
    on<E extends EventName>(event: E, listener: (payload: IpcEvents[E]) => void): () => void {
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      const l = listener as AnyListener;
      set.add(l);
      return () => set.delete(l);
    },
    mediaUrl(ref: MediaRef, version?: number): string {
      return mediaBase + mediaPath(ref, version);
    },
    // A browser does not reveal where a dropped file lives; only the desktop app can import drops.
    pathsForDroppedFiles(): string[] {
      return [];
    },
  };
}

function chooseApi(): HeirloomApi {
  if (window.heirloom !== undefined) return window.heirloom;
  const socket = transportFromLocation(window.location);
  if (socket === null) throw new Error('Heirloom cannot reach its main process (no bridge and no transport).');
  return createWsApi(socket);
}

export const api: HeirloomApi = chooseApi();
