// The renderer's Content-Security-Policy, put in index.html's meta tag at build time by
// vite.config.ts. Pure: unit-tested (and compared with the header the main process sends).
import { MEDIA_SCHEME } from '../../src-shared/media-ref.ts';

/**
 * `mode` is Vite's build mode. 'test' is the browser e2e build served by scripts/dev-server.ts:
 * it also allows the WebSocket transport and the HTTP media URLs on 127.0.0.1, nothing else.
 * (`frame-ancestors` is ignored in a meta tag; the main process sends it as a header.)
 */
export function contentSecurityPolicy(mode: string): string {
  const test = mode === 'test';
  const directives: [string, string[]][] = [
    ['default-src', ["'none'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'data:', 'blob:', `${MEDIA_SCHEME}:`, ...(test ? ['http://127.0.0.1:*'] : [])]],
    ['font-src', ["'self'"]],
    ['connect-src', test ? ['ws://127.0.0.1:*'] : ["'none'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
  ];
  return directives.map(([k, v]) => `${k} ${v.join(' ')}`).join('; ');
}
