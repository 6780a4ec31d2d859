import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../../src-main/util/atomic-file.ts';

test('atomic writes replace a file whole, and a failed write leaves the old file and no temp', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-atomic-'));
  try {
    const file = path.join(dir, 'sub', 'a.txt');
    await writeFileAtomic(file, (temp) => writeFile(temp, 'one'));
    assert.equal(readFileSync(file, 'utf8'), 'one');
    await assert.rejects(
      writeFileAtomic(file, async (temp) => {
        await writeFile(temp, 'half');
        throw new Error('encoder failed');
      }),
      /encoder failed/,
    );
    assert.equal(readFileSync(file, 'utf8'), 'one');
    writeFileAtomicSync(file, 'two');
    assert.equal(readFileSync(file, 'utf8'), 'two');
    assert.deepEqual(readdirSync(path.dirname(file)), ['a.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
