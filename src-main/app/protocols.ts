/**
 * The two custom schemes: `heirloom://app/...` serves the built renderer, and
 * `heirloom-media://media/...` serves images by MediaRef through the services (ids only, never
 * paths). Both are privileged as standard + secure, so the page is a secure context with a
 * real origin and the CSP's 'self' means our app.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { protocol } from 'electron';
import { MEDIA_HOST, MEDIA_SCHEME, parseMediaPath } from '../../src-shared/media-ref.ts';
import { ServiceError } from '../services/errors.ts';
import type { HeirloomServices } from '../services/heirloom-services.ts';
import { APP_ORIGIN, APP_SCHEME, CONTENT_SECURITY_POLICY } from './origins.ts';
import { mimeType } from '../util/mime.ts';

/** Must run before app 'ready'. */
export function registerPrivilegedSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
    { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } },
  ]);
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** Serves files of the built renderer folder, with the CSP header on every response. */
export function serveApp(rendererDir: string): void {
  const root = path.resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app') return text(404, 'not found');
    const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = path.resolve(root, `.${rel}`);
    if (!file.startsWith(root + path.sep)) return text(403, 'forbidden');
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: {
          'Content-Type': mimeType(file),
          'Content-Security-Policy': CONTENT_SECURITY_POLICY,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      return text(404, 'not found');
    }
  });
}

/** Serves MediaRefs: `heirloom-media://media/thumb/12?v=3`. */
export function serveMedia(services: HeirloomServices): void {
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const url = new URL(request.url);
    const ref = url.host === MEDIA_HOST ? parseMediaPath(url.pathname) : null;
    if (ref === null) return text(400, 'bad media url');
    try {
      const file = await services.media(ref);
      return new Response(await readFile(file.path), {
        headers: {
          'Content-Type': file.mime,
          'Cache-Control': url.searchParams.has('v') ? 'private, max-age=31536000, immutable' : 'no-cache',
          'Access-Control-Allow-Origin': APP_ORIGIN,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch (err) {
      return text(err instanceof ServiceError && err.code === 'not-found' ? 404 : 500, (err as Error).message);
    }
  });
}
