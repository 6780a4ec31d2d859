/**
 * Issue 14, item 7: what a family-photo user reads when a photo cannot be restored. Each reason
 * the decoder, the encoder or the queue can give is pinned here as an instruction (what to do),
 * never libvips' own words alone. (The CLI's one line per failed file: poison-corpus.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { describeDecodeError, describeUnreadable } from '../../src-main/worker/pipeline/decode.ts';
import { finalNameOf, tempPathFor } from '../../src-main/util/atomic-file.ts';
import { CRASHED_MESSAGE } from '../../src-main/jobs/job-store.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'heirloom-messages-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const DAMAGED = 'the file is damaged and cannot be read: use another copy of this photo, or scan the print again';

test('libvips reasons become instructions', () => {
  const table: [string, string][] = [
    ['VipsJpeg: Premature end of JPEG file\nVipsJpeg: Warning treated as error due to failOn setting', 'the file is incomplete (it ends early): copy it again from where it came from, or scan the print again'],
    ['premature end of JPEG image', 'the file is incomplete (it ends early): copy it again from where it came from, or scan the print again'],
    ['Warning treated as error due to failOn setting', DAMAGED],
    ['VipsJpeg: Corrupt JPEG data: bad Huffman code', DAMAGED],
    ['vipspng: libpng read error', DAMAGED],
    ['pngload: IDAT: CRC error', DAMAGED],
    ['Input file contains unsupported image format', 'this is not a photo format Heirloom can read (JPEG, PNG, TIFF, WebP, AVIF): open it in an image program and save it as JPEG or PNG'],
    ['Input file is missing: /photos/a.jpg', 'the file is not there any more: was it moved, renamed or deleted?'],
    ["EACCES: permission denied, open '/photos/a.jpg'", 'Heirloom may not read this file: check that you can open it, or copy it to a folder of your own'],
    ['Input image exceeds pixel limit', 'it has more pixels than Heirloom can restore: reduce it in an image editor first'],
    ['heif: Unsupported feature: Unsupported codec (4.3000)', 'HEIC photos (as iPhones save them) cannot be read here: convert it to JPEG first (the Photos app or Preview can)'],
    ['an unknown reason\nsecond line', 'it cannot be read (an unknown reason): use another copy of this photo, or save it again as JPEG'],
  ];
  for (const [raw, said] of table) assert.equal(describeDecodeError(new Error(raw)), said, raw);
  for (const [, said] of table) {
    assert.doesNotMatch(said, /failOn|raise the limit|vips|heirloom-tmp/i, 'no internal words');
    assert.match(said, /: /, 'a reason, then what to do');
  }
});

test('an empty file is said to be empty', () => {
  const empty = path.join(tmp, 'empty.jpg');
  writeFileSync(empty, '');
  assert.equal(describeUnreadable(empty, new Error('Input file contains unsupported image format')), 'the file is empty (0 bytes): copy the photo again from where it came from');
});

test('messages name the file the user knows, never a temporary name', () => {
  const temp = tempPathFor('/out/grandma.restored.jpg');
  assert.match(path.basename(temp), /^\.heirloom-tmp-/);
  assert.equal(finalNameOf(temp), 'grandma.restored.jpg');
  assert.equal(finalNameOf('/out/grandma.restored.jpg'), 'grandma.restored.jpg');
});

test('a photo that stopped Heirloom twice says what happened and what to try', () => {
  assert.match(CRASHED_MESSAGE, /^Heirloom stopped twice while restoring this photo .* so it was skipped and the rest went on: try it again on its own, or without enlarging it \(1x\)$/);
});
