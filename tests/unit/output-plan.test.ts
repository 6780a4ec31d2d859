/**
 * The output plan: a scale whose result the encoder cannot write, or that would not fit in
 * memory, is lowered before any pixel is made (the issue's poison photos), and the reason names
 * the size. Sizes are the issue's cases and the formats' own limits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FORMAT_MAX_SIDE, OUTPUT_BYTES_BUDGET, pairGap, planOutput, type PhotoHeader } from '../../src-main/worker/pipeline/output-plan.ts';
import { UserError } from '../../src-main/util/errors.ts';

const rgb = (width: number, height: number, depth: 8 | 16 = 8, hasAlpha = false): PhotoHeader => ({ width, height, depth, hasAlpha });

test('scales that fit are kept; the poison photos are lowered with the reason', () => {
  const cases: [string, PhotoHeader, Parameters<typeof planOutput>[2], number, RegExp | null][] = [
    ['a 12 MP scan at 4x (192 MP) fits', rgb(4000, 3000), { scale: 4, format: 'jpg', pairs: 'none' }, 4, null],
    ['92 MP at 4x: 1475 MP, at 2x 369 MP: 1x', rgb(9600, 9600), { scale: 4, format: 'jpg', pairs: 'none' }, 1, /at 4x it would be 38400x38400 pixels \(1475 MP\), more than Heirloom can hold in memory/],
    ['196 MP at 4x', rgb(14000, 14000), { scale: 4, format: 'png', pairs: 'none' }, 1, /56000x56000/],
    ['30000x20 at 4x in JPEG: 2x', rgb(30000, 20), { scale: 4, format: 'jpg', pairs: 'none' }, 2, /120000x80 pixels, more than a JPEG file can hold \(65535 a side\); PNG or TIFF output keeps 4x/],
    ['30000x20 at 4x in PNG keeps 4x', rgb(30000, 20), { scale: 4, format: 'png', pairs: 'none' }, 4, null],
    ['WebP holds 16383 a side', rgb(5000, 3000), { scale: 4, format: 'webp', pairs: 'none' }, 2, /more than a WebP file can hold \(16383 a side\)/],
    ['16-bit needs twice the memory', rgb(4000, 3000, 16), { scale: 4, format: 'tiff', pairs: 'none' }, 2, /more than Heirloom can hold in memory/],
    ['a side-by-side pair is twice as wide', rgb(4000, 3000), { scale: 4, format: 'jpg', pairs: 'side-by-side' }, 2, /its side-by-side pair would be 32064x12000/],
    ['two-file pairs are not wider', rgb(4000, 3000), { scale: 4, format: 'jpg', pairs: 'files' }, 4, null],
    ['2x asked and fits', rgb(100, 100), { scale: 2, format: 'webp', pairs: 'none' }, 2, null],
  ];
  for (const [what, header, request, scale, reason] of cases) {
    const plan = planOutput('p.png', header, request);
    assert.equal(plan.scale, scale, what);
    assert.deepEqual([plan.width, plan.height], [header.width * scale, header.height * scale], what);
    if (reason === null) assert.equal(plan.reason, null, what);
    else assert.match(plan.reason ?? '', reason, what);
  }
});

test('every planned output stays inside the budget and the format (exhaustive over sizes)', () => {
  for (const format of ['jpg', 'webp', 'png', 'tiff'] as const) {
    for (const side of [1000, 4100, 8200, 16000, 30000, 70000]) {
      for (const header of [rgb(side, 700), rgb(side, side > 16000 ? 50 : side, 16, true)]) {
        for (const pairs of ['none', 'side-by-side'] as const) {
          let plan;
          try {
            plan = planOutput('p.png', header, { scale: 4, format, pairs });
          } catch (err) {
            assert.ok(err instanceof UserError);
            const w1 = pairs === 'side-by-side' ? header.width * 2 + pairGap(header.width) : header.width;
            assert.ok(Math.max(w1, header.height) > FORMAT_MAX_SIDE[format], 'refused only when even 1x cannot be written');
            continue;
          }
          const w = pairs === 'side-by-side' ? plan.width * 2 + pairGap(plan.width) : plan.width;
          assert.ok(Math.max(w, plan.height) <= FORMAT_MAX_SIDE[format]);
          const bpp = (header.depth === 16 ? 2 : 1) * (header.hasAlpha ? 4 : 3);
          if (plan.scale > 1) assert.ok(w * plan.height * bpp <= OUTPUT_BYTES_BUDGET);
        }
      }
    }
  }
});

test('a photo the format cannot hold even at 1x fails with what to do', () => {
  assert.throws(
    () => planOutput('panorama.png', rgb(30000, 20), { scale: 1, format: 'webp', pairs: 'none' }),
    (err: unknown) => err instanceof UserError && err.message === 'panorama.png: the photo is 30000x20 pixels, more than a WebP file can hold (16383 a side): choose PNG or TIFF output',
  );
  assert.throws(
    () => planOutput('wide.jpg', rgb(40000, 100), { scale: 2, format: 'jpg', pairs: 'side-by-side' }),
    /wide\.jpg: its side-by-side pair is 80160x100 pixels, more than a JPEG file can hold \(65535 a side\): choose PNG or TIFF output, or two-file pairs/,
  );
});
