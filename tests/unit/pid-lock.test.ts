import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lockWithPid } from '../../src-main/util/pid.ts';

test('a pid lock is held against live processes and taken over from dead ones', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-lock-'));
  try {
    const file = path.join(dir, 'lock');
    const mine = lockWithPid(file);
    assert.ok('release' in mine);
    assert.equal(readFileSync(file, 'utf8'), String(process.pid));
    mine.release();
    assert.equal(existsSync(file), false);

    writeFileSync(file, String(process.ppid)); // the test runner: alive
    assert.deepEqual(lockWithPid(file), { heldBy: process.ppid });
    writeFileSync(file, '999999999'); // no such process
    const taken = lockWithPid(file);
    assert.ok('release' in taken);
    assert.equal(readFileSync(file, 'utf8'), String(process.pid));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
