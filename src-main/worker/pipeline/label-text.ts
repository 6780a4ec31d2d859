/**
 * Label text ("Before", "After") as SVG path data from a bundled font (DejaVu Sans, from
 * @fontsource), through opentype.js. SVG `<text>` would depend on the computer's fonts, and
 * sharp's WebAssembly build (the Linux app's) has none: it draws no text at all.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The parts of opentype.js's Font and Glyph used here (the package ships no types). */
interface Glyph {
  advanceWidth?: number;
  getPath(x: number, y: number, fontSize: number): { toPathData(decimals?: number): string };
}
interface Font {
  unitsPerEm: number;
  charToGlyph(char: string): Glyph;
  getKerningValue(left: Glyph, right: Glyph): number;
}

const require = createRequire(import.meta.url);
const FONT_FILE = '@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff';
let font: Font | null = null;

function labelFont(): Font {
  if (font === null) {
    const opentype = require('opentype.js') as { parse(data: ArrayBuffer): Font };
    const bytes = readFileSync(require.resolve(FONT_FILE));
    font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  return font;
}

/**
 * `text` set at `size` px with its baseline's left end at (x, baseline): path data and advance
 * width. Glyph by glyph with kerning: Latin labels need no shaping (and opentype.js cannot apply
 * some of DejaVu's substitution tables).
 */
export function textPath(text: string, x: number, baseline: number, size: number): { d: string; width: number } {
  const f = labelFont();
  const scale = size / f.unitsPerEm;
  const parts: string[] = [];
  let pen = x;
  let previous: Glyph | null = null;
  for (const char of text) {
    const glyph = f.charToGlyph(char);
    if (previous !== null) pen += f.getKerningValue(previous, glyph) * scale;
    parts.push(glyph.getPath(pen, baseline, size).toPathData(2));
    pen += (glyph.advanceWidth ?? 0) * scale;
    previous = glyph;
  }
  return { d: parts.join(' '), width: pen - x };
}
