import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src-main/cli/main.ts';

test('unknown subcommand exits non-zero', async () => {
  const code = await main(['node', 'heirloom', 'no-such-command']);
  assert.notEqual(code, 0);
});
