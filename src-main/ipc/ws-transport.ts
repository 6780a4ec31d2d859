/**
 * The test transport: the same HeirloomServices behind HTTP + WebSocket on 127.0.0.1, so the
 * renderer runs in a plain browser (Playwright e2e, renderer development without Electron).
 * Message types: src-shared/ws-protocol.ts. One origin serves the renderer (`/`), the socket
 * (`/ws`) and the media (`/media/...`).
 *
 * Local only, and only for pages it serves: it binds 127.0.0.1, and every request (page, media,
 * socket, control) is checked by `requestAllowed`: the Host must name this server (a web page
 * that reaches 127.0.0.1 through DNS rebinding names its own host), an Origin must be one of ours
 * (or one passed in `extraOrigins`), and what a browser sends without an Origin is served only
 * when it is a same-origin or typed-in GET. So a web page in the user's browser can neither drive
 * it nor read the photos it serves.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseMediaPath } from '../../src-shared/media-ref.ts';
import { MEDIA_HTTP_PREFIX, WS_PATH, type WsRequest, type WsServerMessage } from '../../src-shared/ws-protocol.ts';
import { ServiceError, toIpcError } from '../services/errors.ts';
import type { HeirloomServices } from '../services/heirloom-services.ts';
import type { ConfiguredPicker } from '../services/configured-picker.ts';
import { mimeType } from '../util/mime.ts';

export interface WsTransportOptions {
  services: HeirloomServices;
  /** 0 = any free port. */
  port: number;
  /** Built renderer to serve at `/` (index.html + assets); none = API only. */
  staticDir?: string;
  /** Other origins allowed to connect (e.g. a Vite dev server `http://127.0.0.1:5173`). */
  extraOrigins?: string[];
  /** Enables the test control endpoints (POST /__test/picker, POST /__test/allow). */
  picker?: ConfiguredPicker;
}

export interface WsTransport {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Sec-Fetch-Site values of requests a page of another site cannot make. */
const SAME_SITE_FETCH = new Set(['same-origin', 'none']);

/**
 * Whether a request may be served. `hosts`: the Host values naming this server; `origins`: the
 * pages' origins allowed. `write`: a socket or a control request, which must carry an allowed
 * Origin (browsers always send one there).
 */
export function requestAllowed(
  headers: http.IncomingHttpHeaders,
  hosts: ReadonlySet<string>,
  origins: ReadonlySet<string>,
  write: boolean,
): boolean {
  if (headers.host === undefined || !hosts.has(headers.host.toLowerCase())) return false;
  const origin = headers.origin;
  if (origin !== undefined) return origins.has(origin);
  if (write) return false;
  // No Origin: a navigation or a same-origin load in a browser (which says so), or a tool like curl.
  const site = headers['sec-fetch-site'];
  return site === undefined || SAME_SITE_FETCH.has(String(site));
}

export async function startWsTransport(opts: WsTransportOptions): Promise<WsTransport> {
  const origins = new Set<string>(opts.extraOrigins ?? []);
  const hosts = new Set<string>((opts.extraOrigins ?? []).map((o) => new URL(o).host));

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!requestAllowed(req.headers, hosts, origins, url.pathname.startsWith('/__test/'))) {
      send(res, 403, 'text/plain', 'forbidden');
      return;
    }
    handleHttp(req, res, opts).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', (err as Error).message);
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Browsers always send Origin on a WebSocket; require it (and the Host) to be ours.
    if (url.pathname !== WS_PATH || !requestAllowed(req.headers, hosts, origins, true)) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const clients = new Set<WebSocket>();
  const offEvents = opts.services.onAny((event, payload) => {
    const text = JSON.stringify({ event, payload } as WsServerMessage);
    for (const c of clients) if (c.readyState === c.OPEN) c.send(text);
  });

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      void onMessage(ws, data.toString(), opts.services);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
    origins.add(`http://${host}`);
    hosts.add(host);
  }

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: async () => {
      offEvents();
      for (const c of clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function onMessage(ws: WebSocket, text: string, services: HeirloomServices): Promise<void> {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return; // not our client; nothing to answer to
  }
  if (!isWsRequest(msg)) {
    const id = typeof (msg as { id?: unknown } | null)?.id === 'number' ? (msg as { id: number }).id : -1;
    reply(ws, { id, error: { code: 'invalid-arguments', message: 'malformed request: expected {id, channel, args}' } });
    return;
  }
  try {
    const result = await services.handle(msg.channel, msg.args);
    // `undefined` results (void channels) become null on the wire.
    reply(ws, { id: msg.id, result: result ?? null });
  } catch (err) {
    reply(ws, { id: msg.id, error: toIpcError(err) });
  }
}

function reply(ws: WebSocket, m: WsServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
}

function isWsRequest(m: unknown): m is WsRequest {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return typeof r.id === 'number' && Number.isSafeInteger(r.id) && typeof r.channel === 'string';
}

async function handleHttp(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  opts: WsTransportOptions,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname.startsWith('/__test/')) {
    if (opts.picker === undefined || req.method !== 'POST') return send(res, 403, 'text/plain', 'forbidden');
    return control(req, res, url.pathname, opts);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');

  if (url.pathname.startsWith(MEDIA_HTTP_PREFIX)) {
    const ref = parseMediaPath(url.pathname.slice(MEDIA_HTTP_PREFIX.length));
    if (ref === null) return send(res, 400, 'text/plain', 'bad media path');
    try {
      const file = await opts.services.media(ref);
      const cache = url.searchParams.has('v') ? 'private, max-age=31536000, immutable' : 'no-cache';
      return sendFile(res, file.path, file.mime, cache);
    } catch (err) {
      const code = err instanceof ServiceError && err.code === 'not-found' ? 404 : 500;
      return send(res, code, 'text/plain; charset=utf-8', (err as Error).message);
    }
  }

  if (opts.staticDir === undefined) return send(res, 404, 'text/plain', 'not found');
  const root = path.resolve(opts.staticDir);
  const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
  const file = path.resolve(root, `.${rel}`);
  if (file !== root && !file.startsWith(root + path.sep)) return send(res, 403, 'text/plain', 'forbidden');
  try {
    if (!(await stat(file)).isFile()) return send(res, 404, 'text/plain', 'not found');
  } catch {
    return send(res, 404, 'text/plain', 'not found');
  }
  return sendFile(res, file, mimeType(file), 'no-cache');
}

async function control(req: http.IncomingMessage, res: http.ServerResponse, route: string, opts: WsTransportOptions): Promise<void> {
  const picker = opts.picker!;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    if (typeof body !== 'object' || body === null) throw new Error('not an object');
  } catch (err) {
    return send(res, 400, 'text/plain', `bad JSON body: ${(err as Error).message}`);
  }
  const paths = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null);
  const pathOrNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  if (route === '/__test/picker') {
    if ('imports' in body) picker.imports = paths(body.imports);
    if ('outputFolder' in body) picker.outputFolderAnswer = pathOrNull(body.outputFolder);
    if ('modelFile' in body) picker.modelFileAnswer = pathOrNull(body.modelFile);
    return send(res, 200, 'application/json', JSON.stringify({ ok: true }));
  }
  if (route === '/__test/allow') {
    const list = paths(body.paths);
    if (list === null) return send(res, 400, 'text/plain', 'expected {paths: string[]}');
    opts.services.allowDropped(list);
    return send(res, 200, 'application/json', JSON.stringify({ ok: true }));
  }
  return send(res, 404, 'text/plain', 'not found');
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1024 * 1024) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

function sendFile(res: http.ServerResponse, file: string, type: string, cache: string): void {
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': cache, 'X-Content-Type-Options': 'nosniff' });
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  const s = createReadStream(file);
  s.on('error', () => res.destroy());
  s.pipe(res);
}
