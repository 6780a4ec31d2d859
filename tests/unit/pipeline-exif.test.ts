import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exifForOutput, parseExif, xmpForExif } from '../../src-main/worker/pipeline/exif.ts';

/** A minimal TIFF/EXIF block: IFD0 {Make, Orientation=6, XResolution, ExifIFD -> {DateTimeOriginal}}. */
function block(le: boolean): Uint8Array {
  const buf = new ArrayBuffer(200);
  const v = new DataView(buf);
  const u8 = new Uint8Array(buf);
  const u16 = (o: number, x: number) => v.setUint16(o, x, le);
  const u32 = (o: number, x: number) => v.setUint32(o, x, le);
  u8.set([0x45, 0x78, 0x69, 0x66, 0, 0], 0); // "Exif\0\0"
  const b = 6;
  u8.set(le ? [0x49, 0x49] : [0x4d, 0x4d], b);
  u16(b + 2, 42);
  u32(b + 4, 8);
  // IFD0 at 8: 4 entries
  let e = b + 8;
  u16(e, 4);
  e += 2;
  const entry = (tag: number, type: number, count: number, value: number) => {
    u16(e, tag); u16(e + 2, type); u32(e + 4, count);
    if (type === 3 && count === 1) u16(e + 8, value); else u32(e + 8, value);
    e += 12;
  };
  entry(0x010f, 2, 6, 100); // Make -> offset 100
  entry(0x0112, 3, 1, 6); // Orientation
  entry(0x011a, 5, 1, 120); // XResolution -> offset 120
  entry(0x8769, 4, 1, 140); // Exif IFD pointer
  u32(e, 0);
  u8.set([...'Kodak'].map((c) => c.charCodeAt(0)).concat(0), b + 100);
  u32(b + 120, 300); u32(b + 124, 1);
  // Exif IFD at 140: DateTimeOriginal (20 bytes at 160)
  u16(b + 140, 1);
  u16(b + 142, 0x9003); u16(b + 144, 2); u32(b + 146, 20); u32(b + 150, 160);
  u32(b + 154, 0);
  u8.set([...'1962:07:14 15:30:00'].map((c) => c.charCodeAt(0)).concat(0), b + 160);
  return u8.subarray(0, b + 181);
}

for (const le of [true, false]) {
  test(`parseExif reads ${le ? 'little' : 'big'}-endian blocks`, () => {
    const f = parseExif(block(le));
    assert.deepEqual(f.IFD0, { Make: 'Kodak', XResolution: '300/1' });
    assert.deepEqual(f.IFD2, { DateTimeOriginal: '1962:07:14 15:30:00' });
    assert.equal(exifForOutput(block(le)).IFD0.Orientation, '1', 'pixels are upright: orientation 1');
  });
}

test('parseExif survives garbage and truncation', () => {
  assert.deepEqual(parseExif(undefined), { IFD0: {} });
  assert.deepEqual(parseExif(new Uint8Array([1, 2, 3])), { IFD0: {} });
  const whole = block(true);
  for (let n = 0; n < whole.length; n += 7) assert.doesNotThrow(() => parseExif(whole.subarray(0, n)));
  const bad = block(true).slice();
  new DataView(bad.buffer).setUint32(6 + 4, 0xfffffff0, true); // IFD0 offset far outside
  assert.deepEqual(parseExif(bad), { IFD0: {} });
});

test('xmpForExif carries the original date with its offset, escaped', () => {
  const xmp = xmpForExif({ IFD0: { Artist: 'A & B <c>' }, IFD2: { DateTimeOriginal: '1962:07:14 15:30:00', OffsetTimeOriginal: '+01:00' } });
  assert.match(xmp ?? '', /<exif:DateTimeOriginal>1962-07-14T15:30:00\+01:00<\/exif:DateTimeOriginal>/);
  assert.match(xmp ?? '', /<tiff:Artist>A &amp; B &lt;c&gt;<\/tiff:Artist>/);
  assert.equal(xmpForExif({ IFD0: {} }), undefined);
});
