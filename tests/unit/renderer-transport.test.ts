import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transportFromLocation } from '../../src-renderer/lib/transport.ts';

const at = (href: string) => {
  const u = new URL(href);
  return { search: u.search, protocol: u.protocol, host: u.host };
};

test('a page served by the dev server uses /ws on its own origin', () => {
  assert.equal(transportFromLocation(at('http://127.0.0.1:5180/')), 'ws://127.0.0.1:5180/ws');
  assert.equal(transportFromLocation(at('https://localhost:8443/index.html')), 'wss://localhost:8443/ws');
});

test('the transport parameter wins and must be a loopback socket', () => {
  assert.equal(transportFromLocation(at('http://127.0.0.1:5173/?transport=ws://127.0.0.1:5180/ws')), 'ws://127.0.0.1:5180/ws');
  assert.throws(() => transportFromLocation(at('http://127.0.0.1:5173/?transport=ws://evil.example/ws')), /only ws:\/\/127\.0\.0\.1/);
  assert.throws(() => transportFromLocation(at('http://127.0.0.1:5173/?transport=http://127.0.0.1:5180/ws')), /only ws/);
  assert.throws(() => transportFromLocation(at('http://127.0.0.1:5173/?transport=nonsense')), /not a URL/);
});

test('file: and custom protocols have no transport (the preload provides the bridge)', () => {
  assert.equal(transportFromLocation(at('file:///opt/heirloom/index.html')), null);
  assert.equal(transportFromLocation(at('heirloom-app://app/index.html')), null);
});
