/**
 * Fade and colour-cast correction for colour prints, separate from the damage repair. Dyes fade
 * unevenly: a print loses contrast and drifts towards cyan, magenta or yellow. Each channel's
 * levels are stretched between its own 0.5th and 99.5th percentiles, which makes the print's
 * darkest and lightest parts neutral again and restores their contrast (what "auto colour" in a
 * photo editor does). Gains are bounded so that a dark or low-key photo is not blown up.
 *
 * Only colour photos are corrected. Gray prints stay gray and toned prints (sepia, selenium,
 * cyanotype) keep their tone: the decoder's classification is used, with a margin, because a
 * sepia print with a little colour noise can sit just on the colour side of its line.
 */
import type { ToneInfo } from '../decode.ts';
import { type Raster, maxValue, rgbToYcc } from '../raster.ts';

const LOW = 0.005;
const HIGH = 0.995;
/** At most this stretch of a channel's range (a faded print spans ~half the range). */
const MAX_GAIN = 2.5;
/** Prints whose chroma lies this close to one hue line are toned, whatever the decoder says. */
const TONED_MARGIN_OFF_HUE = 2.2;
const HUE_SPREAD = 0.15;

export interface ColourOutcome {
  image: Raster;
  /** False when the photo was left alone (gray or toned); `reason` says why. */
  corrected: boolean;
  reason?: string;
  /** Per channel (R, G, B): the input levels mapped to black and white (0..255 scale). */
  levels?: [number, number][];
  /** Mean chroma magnitude (|mean Cb, Cr|, 0..255 scale) before and after: the cast. */
  castBefore: number;
  castAfter: number;
}

/** |mean (Cb, Cr)| of a strided sample: 0 for a photo that averages to gray (grey-world). */
export function castOf(img: Raster): number {
  const s = 255 / maxValue(img.depth);
  const n = img.width * img.height;
  const step = Math.max(1, Math.floor(n / 200_000));
  let r = 0, g = 0, b = 0, k = 0;
  for (let i = 0; i < n; i += step) {
    r += img.data[3 * i];
    g += img.data[3 * i + 1];
    b += img.data[3 * i + 2];
    k++;
  }
  const [, cb, cr] = rgbToYcc((r / k) * s, (g / k) * s, (b / k) * s);
  return Math.hypot(cb, cr);
}

function percentiles(img: Raster, channel: number): [number, number] {
  const max = maxValue(img.depth);
  const bins = img.depth === 16 ? 4096 : 256;
  const shift = img.depth === 16 ? 4 : 0;
  const hist = new Float64Array(bins);
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) hist[img.data[3 * i + channel] >> shift]++;
  let acc = 0;
  let lo = 0;
  let hi = bins - 1;
  for (let v = 0; v < bins; v++) {
    acc += hist[v];
    if (acc <= LOW * n) lo = v;
    if (acc < HIGH * n) hi = v + 1;
  }
  const scale = max / (bins - 1);
  return [lo * scale, Math.min(max, hi * scale)];
}

export function correctColour(img: Raster, tone: ToneInfo): ColourOutcome {
  const castBefore = castOf(img);
  if (tone.kind !== 'colour') return { image: img, corrected: false, reason: `${tone.kind} print: its tone is kept`, castBefore, castAfter: castBefore };
  if (tone.offHueRms <= TONED_MARGIN_OFF_HUE) {
    return { image: img, corrected: false, reason: 'nearly one hue (toned): its tone is kept', castBefore, castAfter: castBefore };
  }
  const max = maxValue(img.depth);
  const raw = [0, 1, 2].map((c) => percentiles(img, c));
  // A channel's white point may sit at most HUE_SPREAD below the brightest channel's: when the
  // lightest parts of a photo are truly coloured (a yellow dress, a vignette's tinted paper), full
  // per-channel stretching would paint the opposite colour over everything.
  const top = Math.max(...raw.map(([, hi]) => hi));
  const levels = raw.map(([lo0, hi0]) => {
    const hi = Math.max(hi0, (1 - HUE_SPREAD) * top);
    const lo = Math.min(lo0, hi - max / MAX_GAIN);
    // Bound the gain: keep the range at least max / MAX_GAIN wide, centred where it was.
    const width = Math.max(hi - lo, max / MAX_GAIN);
    const mid = Math.min(max - width / 2, Math.max(width / 2, (lo + hi) / 2));
    return [mid - width / 2, mid + width / 2] as [number, number];
  });
  const lut = levels.map(([lo, hi]) => {
    const table = img.depth === 16 ? new Uint16Array(max + 1) : new Uint8Array(max + 1);
    for (let v = 0; v <= max; v++) table[v] = Math.round(Math.min(max, Math.max(0, ((v - lo) / (hi - lo)) * max)));
    return table;
  });
  const out: Raster = { width: img.width, height: img.height, depth: img.depth, data: img.data.slice() };
  const d = out.data;
  for (let i = 0; i < d.length; i += 3) {
    d[i] = lut[0][d[i]];
    d[i + 1] = lut[1][d[i + 1]];
    d[i + 2] = lut[2][d[i + 2]];
  }
  const s = 255 / max;
  return {
    image: out,
    corrected: true,
    levels: levels.map(([lo, hi]) => [Math.round(lo * s * 10) / 10, Math.round(hi * s * 10) / 10]),
    castBefore,
    castAfter: castOf(out),
  };
}
