import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy } from '../../src-renderer/lib/csp.ts';
import { CONTENT_SECURITY_POLICY } from '../../src-main/app/origins.ts';

const directives = (csp: string) => new Map(csp.split(';').map((d) => {
  const [k, ...v] = d.trim().split(/\s+/);
  return [k!, v.join(' ')] as const;
}));

test('the app build allows no connections, no inline code and only our media scheme', () => {
  const d = directives(contentSecurityPolicy('production'));
  assert.equal(d.get('default-src'), "'none'");
  assert.equal(d.get('script-src'), "'self'");
  assert.equal(d.get('style-src'), "'self'");
  assert.equal(d.get('connect-src'), "'none'");
  assert.equal(d.get('img-src'), "'self' data: blob: heirloom-media:");
  assert.ok(!contentSecurityPolicy('production').includes('unsafe'));
  assert.ok(!contentSecurityPolicy('production').includes('127.0.0.1'));
});

test('the meta tag matches the header the main process sends (less frame-ancestors)', () => {
  const header = directives(CONTENT_SECURITY_POLICY);
  assert.equal(header.get('frame-ancestors'), "'none'");
  header.delete('frame-ancestors');
  assert.deepEqual(directives(contentSecurityPolicy('production')), header);
});

test('only the test build reaches the loopback transport', () => {
  const d = directives(contentSecurityPolicy('test'));
  assert.equal(d.get('connect-src'), 'ws://127.0.0.1:*');
  assert.match(d.get('img-src') ?? '', /http:\/\/127\.0\.0\.1:\*/);
  assert.equal(d.get('script-src'), "'self'");
});
