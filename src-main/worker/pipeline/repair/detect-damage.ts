/**
 * What counts as print damage: the product's own judgement (the image operations are OpenCV's).
 *
 * Damage on a print is thin and contrasty: scratches and cracks are long lines or curves a few
 * pixels wide, dust and specks are isolated dots, and both are much brighter or darker than what
 * lies on either side. Texture (fabric, foliage, hair, grain) also has thin contrasty bits, but
 * densely, everywhere around; eye catchlights are isolated bright dots inside detected eyes.
 *
 *  1. Candidates: the top-hat (bright) and black-hat (dark) of the luma with a square element
 *     respond only to structures narrower than it; a pixel must beat a floor and a multiple of the
 *     local texture level (the response per coarse cell, median of 3x3 cells: sparse lines and
 *     dots drop out of it, texture stays), and be isolated: little of its neighbourhood responds
 *     half as strongly (texture, hair and foliage fail this, a scratch's neighbourhood is itself).
 *  2. Components: lines are long and thin (little survives an erosion) and not the rim of an edge
 *     (their two sides alike); specks are small, contrasty, alone and not on an edge's slope.
 *     Faces: dots in an eye are pupils and catchlights, dark strokes along the eye line are brows,
 *     lids and lips unless they cross the face. Weaker isolated pixels extend kept lines.
 *  3. The kept components grow by a pixel (their antialiased rim) and become the repair mask.
 * Thresholds were tuned on synthetic damage over fixture photos (ARCHITECTURE.md, "Print damage").
 */
import type { Raster } from '../raster.ts';
import { type Cv, type Mat, loadOpenCv, withMats } from './opencv.ts';

export interface EyePoint {
  x: number;
  y: number;
  /** Catchlights within this distance (photo pixels) of the eye centre are not damage. */
  radius: number;
}

/** A face's features (brows, lids, lips, nostrils): dark lines there are the face, not damage. */
export interface FaceZone {
  x: number;
  y: number;
  radius: number;
  /** Dark lines at least this long (photo pixels) cross the face: damage after all. */
  crossing: number;
  /** Direction of the eye line (radians, image coordinates): brows, lids and lips run along it. */
  angle: number;
}

export interface DamageTuning {
  /** Half-size of the square structuring element (px at working resolution). */
  radius: number;
  /** Absolute response floor (0..255 luma). */
  floor: number;
  /** Weaker pixels that continue a kept line (hysteresis). */
  weakFloor: number;
  /** Response must beat this multiple of the local texture level. */
  textureFactor: number;
  /** Coarse grid cell for the texture level (px at working resolution). */
  textureCell: number;
  /** A line is at least this long (px at working resolution)... */
  lineMinExtent: number;
  /** ...and thin: at most this fraction of it survives an erosion by a (2 lineMaxHalfWidth + 1) square. */
  lineMaxFat: number;
  /** Half-width (px at working resolution) beyond which a stroke counts as fat. */
  lineMaxHalfWidth: number;
  /** A speck fits in this square... */
  speckMaxExtent: number;
  /** ...and its mean response beats this. */
  speckContrast: number;
  /** A line whose two sides differ by more than this times its contrast is an edge's rim. */
  edgeRatio: number;
  /** The same for a speck, across and along its longer axis. */
  speckEdgeRatio: number;
  /** Clutter window half-size (px at working resolution). */
  clutterRadius: number;
  /** A line is kept when at most this fraction of its neighbourhood responds half as strongly. */
  lineClutter: number;
  /** The same for pixels responding 128 or more (cracks in a network are busy but stark). */
  strongClutter: number;
  /** The same for a speck (dust lies on its own; a small detail in a busy area is not dust). */
  speckClutter: number;
  /** Mask growth around kept components (px at working resolution). */
  grow: number;
  /** Work at most at this many pixels (larger photos are analysed downscaled). */
  workPixels: number;
}

export const DEFAULT_TUNING: DamageTuning = {
  radius: 3,
  floor: 16,
  weakFloor: 8,
  textureFactor: 4,
  textureCell: 8,
  lineMinExtent: 12,
  lineMaxFat: 0.1,
  lineMaxHalfWidth: 2,
  speckMaxExtent: 8,
  speckContrast: 30,
  clutterRadius: 7,
  edgeRatio: 0.6,
  speckEdgeRatio: 1.5,
  lineClutter: 0.3,
  strongClutter: 0.45,
  speckClutter: 0.1,
  grow: 1,
  workPixels: 4_200_000,
};

export interface DamageOptions {
  eyes?: readonly EyePoint[];
  faces?: readonly FaceZone[];
  tuning?: Partial<DamageTuning>;
}

export interface DamageMask {
  width: number;
  height: number;
  /** 255 = damage to repair, 0 = keep; one byte per pixel at the photo's size. */
  mask: Uint8Array;
  /** Pixels in the mask. */
  pixels: number;
  lines: number;
  specks: number;
}

/** 8-bit BT.601 luma of an RGB raster (16-bit rounded down to 8). */
export function lumaOf(img: Raster): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  const s = img.depth === 16 ? 1 / 257 : 1;
  for (let i = 0; i < n; i++) {
    out[i] = Math.round((0.299 * d[3 * i] + 0.587 * d[3 * i + 1] + 0.114 * d[3 * i + 2]) * s);
  }
  return out;
}

export async function detectDamage(img: Raster, options: DamageOptions = {}): Promise<DamageMask> {
  const cv = await loadOpenCv();
  let t: DamageTuning = { ...DEFAULT_TUNING, ...options.tuning };
  const { width, height } = img;
  const luma = lumaOf(img);
  const factor = Math.max(1, Math.ceil(Math.sqrt((width * height) / t.workPixels)));
  return withMats((keep) => {
    const full = keep(new cv.Mat(height, width, cv.CV_8UC1));
    full.data.set(luma);
    let work = full;
    if (factor > 1) {
      work = keep(new cv.Mat());
      cv.resize(full, work, new cv.Size(Math.round(width / factor), Math.round(height / factor)), 0, 0, cv.INTER_AREA);
    }
    // Damage grows with the scan (a hair is wider at 1200 dpi than at 300): lengths and the element
    // scale with the working photo's short side, relative to a 600 px print.
    const unit = Math.max(1, Math.min(work.rows, work.cols) / 600);
    t = scaleTuning(t, unit);
    const eyes = (options.eyes ?? []).map((e) => ({ x: e.x / factor, y: e.y / factor, radius: e.radius / factor }));
    const faces = (options.faces ?? []).map((f) => ({ x: f.x / factor, y: f.y / factor, radius: f.radius / factor, crossing: f.crossing / factor, angle: f.angle }));
    const kept = keep(new cv.Mat(work.rows, work.cols, cv.CV_8UC1));
    kept.data.fill(0);
    const se = keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(2 * t.radius + 1, 2 * t.radius + 1)));
    const lumaWork = work.data.slice();
    let lines = 0;
    let specks = 0;
    for (const op of [cv.MORPH_TOPHAT, cv.MORPH_BLACKHAT]) {
      const resp = keep(new cv.Mat());
      cv.morphologyEx(work, resp, op, se);
      const texture = textureLevel(cv, keep, resp, t.textureCell);
      const counts = keepComponents(cv, keep, resp, texture, kept, lumaWork, { eyes, faces }, op === cv.MORPH_TOPHAT, t);
      lines += counts.lines;
      specks += counts.specks;
    }
    if (t.grow > 0) {
      const g = keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(2 * t.grow + 1, 2 * t.grow + 1)));
      cv.dilate(kept, kept, g);
    }
    let out = kept;
    if (factor > 1) {
      out = keep(new cv.Mat());
      cv.resize(kept, out, new cv.Size(width, height), 0, 0, cv.INTER_NEAREST);
      const g = keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(factor + 1, factor + 1)));
      cv.dilate(out, out, g);
    }
    const mask = new Uint8Array(out.data);
    let pixels = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) pixels++;
    return { width, height, mask, pixels, lines, specks };
  });
}

function scaleTuning(t: DamageTuning, unit: number): DamageTuning {
  return {
    ...t,
    radius: Math.round(t.radius * unit),
    textureCell: Math.round(t.textureCell * unit),
    lineMinExtent: t.lineMinExtent * unit,
    lineMaxHalfWidth: Math.round(t.lineMaxHalfWidth * unit),
    speckMaxExtent: t.speckMaxExtent * unit,
    grow: Math.round(t.grow * unit),
    clutterRadius: Math.round(t.clutterRadius * unit),
  };
}

/** Add every thin weak component that touches a kept one (a crack fading over a lighter patch). */
function extendIntoWeak(cv: Cv, keep: <M extends { delete(): void }>(m: M) => M, wk: Uint8Array, rows: number, cols: number, mine: Uint8Array, t: DamageTuning): void {
  const weak = keep(new cv.Mat(rows, cols, cv.CV_8UC1));
  weak.data.set(wk);
  const labels = keep(new cv.Mat());
  const count = cv.connectedComponents(weak, labels, 8, cv.CV_32S);
  const lab = labels.data32S.slice();
  const fat = keep(new cv.Mat());
  const k = 2 * t.lineMaxHalfWidth + 1;
  cv.erode(weak, fat, keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(k, k))));
  const f = fat.data.slice();
  const touched = new Uint8Array(count);
  const area = new Float64Array(count);
  const fatCount = new Float64Array(count);
  for (let i = 0; i < lab.length; i++) {
    const j = lab[i];
    if (j === 0) continue;
    area[j]++;
    if (f[i]) fatCount[j]++;
    if (mine[i]) touched[j] = 1;
  }
  for (let i = 0; i < lab.length; i++) {
    const j = lab[i];
    if (j > 0 && touched[j] && fatCount[j] <= t.lineMaxFat * area[j]) mine[i] = 1;
  }
}

/** Local texture level: the response averaged per coarse cell, median of 3x3 cells, back at full size. */
function textureLevel(cv: Cv, keep: <M extends { delete(): void }>(m: M) => M, resp: Mat, cell: number): Mat {
  const small = keep(new cv.Mat());
  const cols = Math.max(3, Math.round(resp.cols / cell));
  const rows = Math.max(3, Math.round(resp.rows / cell));
  cv.resize(resp, small, new cv.Size(cols, rows), 0, 0, cv.INTER_AREA);
  cv.medianBlur(small, small, 3);
  const big = keep(new cv.Mat());
  cv.resize(small, big, new cv.Size(resp.cols, resp.rows), 0, 0, cv.INTER_LINEAR);
  return big;
}

interface Tally {
  lines: number;
  specks: number;
}

function keepComponents(
  cv: Cv,
  keep: <M extends { delete(): void }>(m: M) => M,
  resp: Mat,
  texture: Mat,
  kept: Mat,
  luma: Uint8Array,
  protect: { eyes: readonly EyePoint[]; faces: readonly FaceZone[] },
  bright: boolean,
  t: DamageTuning,
): Tally {
  const n = resp.rows * resp.cols;
  // Every view of a Mat's pixels is copied out at once: a later allocation may grow the
  // WebAssembly memory, which detaches views taken before it.
  const r = resp.data.slice();
  const tex = texture.data.slice();
  // Isolation: how much of a pixel's neighbourhood responds at least half as strongly as the pixel
  // (density maps at a few response levels; each pixel reads the level nearest below half its
  // response). A scratch pixel's neighbourhood is mostly the scratch; a texture pixel's is texture.
  const levels = [8, 16, 32, 64, 128];
  const win = new cv.Size(2 * t.clutterRadius + 1, 2 * t.clutterRadius + 1);
  const density = levels.map((lv) => {
    const above = keep(new cv.Mat());
    cv.threshold(resp, above, lv, 255, cv.THRESH_BINARY);
    const dens = keep(new cv.Mat());
    cv.boxFilter(above, dens, -1, win, new cv.Point(-1, -1), true, cv.BORDER_REFLECT);
    return dens.data.slice();
  });
  const clutterMax = Math.round(255 * t.lineClutter);
  const strongMax = Math.round(255 * t.strongClutter);
  const c = new Uint8Array(n);
  const busyAt = new Uint8Array(n);
  // Weak: isolated but below the floor; they only extend kept lines (hysteresis, as in Canny).
  const wk = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = r[i];
    c[i] = 0;
    wk[i] = 0;
    if (v <= t.weakFloor || v <= t.textureFactor * tex[i]) continue;
    const half = v >> 1;
    const l = half >= 64 ? 3 : half >= 32 ? 2 : half >= 16 ? 1 : 0;
    busyAt[i] = density[l][i];
    if (busyAt[i] > (l === 3 ? strongMax : clutterMax)) continue;
    wk[i] = 255;
    if (v > t.floor) c[i] = 255;
  }
  const cand = keep(new cv.Mat(resp.rows, resp.cols, cv.CV_8UC1));
  cand.data.set(c);
  const labels = keep(new cv.Mat());
  const stats = keep(new cv.Mat());
  const centroids = keep(new cv.Mat());
  const count = cv.connectedComponentsWithStats(cand, labels, stats, centroids, 8, cv.CV_32S);
  const lab = labels.data32S.slice();
  const st = stats.data32S.slice();
  const cen = centroids.data64F.slice();
  // Fat parts: what survives an erosion wider than any line.
  const fat = keep(new cv.Mat());
  const k = 2 * t.lineMaxHalfWidth + 1;
  const se = keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(k, k)));
  cv.erode(cand, fat, se);
  const f = fat.data.slice();
  const sum = new Float64Array(count);
  const fatCount = new Float64Array(count);
  const busy = new Float64Array(count);
  // Second moments about the bounding box corner, for each component's direction.
  const sxx = new Float64Array(count);
  const syy = new Float64Array(count);
  const sxy = new Float64Array(count);
  const cols = resp.cols;
  for (let i = 0; i < n; i++) {
    const j = lab[i];
    if (j > 0) {
      sum[j] += r[i];
      busy[j] += busyAt[i];
      if (f[i]) fatCount[j]++;
      const x = i % cols;
      const y = (i - x) / cols;
      sxx[j] += x * x;
      syy[j] += y * y;
      sxy[j] += x * y;
    }
  }
  // Each component's direction (second moments), then the luma on either side of it, beyond the
  // element: a scratch lies on one background, the bright rim of an edge (sharpening halos,
  // collars, frames) between a dark side and a light one.
  const angles = new Float64Array(count);
  for (let j = 1; j < count; j++) {
    const a = st[5 * j + 4];
    const cx = cen[2 * j];
    const cy = cen[2 * j + 1];
    angles[j] = 0.5 * Math.atan2(2 * (sxy[j] / a - cx * cy), sxx[j] / a - cx * cx - (syy[j] / a - cy * cy));
  }
  const rows = resp.rows;
  const sideDiff = new Float64Array(count);
  const alongDiff = new Float64Array(count);
  const d = t.radius + 1;
  for (let i = 0; i < n; i++) {
    const j = lab[i];
    if (j === 0) continue;
    const x = i % cols;
    const y = (i - x) / cols;
    const nx = -Math.sin(angles[j]) * d;
    const ny = Math.cos(angles[j]) * d;
    const xa = Math.min(cols - 1, Math.max(0, Math.round(x + nx)));
    const ya = Math.min(rows - 1, Math.max(0, Math.round(y + ny)));
    const xb = Math.min(cols - 1, Math.max(0, Math.round(x - nx)));
    const yb = Math.min(rows - 1, Math.max(0, Math.round(y - ny)));
    sideDiff[j] += luma[ya * cols + xa] - luma[yb * cols + xb];
    // The other direction too: a dot on the slope of an edge is no dust either.
    const xc = Math.min(cols - 1, Math.max(0, Math.round(x + ny)));
    const yc = Math.min(rows - 1, Math.max(0, Math.round(y - nx)));
    const xd = Math.min(cols - 1, Math.max(0, Math.round(x - ny)));
    const yd = Math.min(rows - 1, Math.max(0, Math.round(y + nx)));
    alongDiff[j] += luma[yc * cols + xc] - luma[yd * cols + xd];
  }
  const accept = new Uint8Array(count);
  const tally: Tally = { lines: 0, specks: 0 };
  for (let j = 1; j < count; j++) {
    const w = st[5 * j + 2];
    const h = st[5 * j + 3];
    const area = st[5 * j + 4];
    const extent = Math.max(w, h);
    const mean = sum[j] / area;
    const cx = cen[2 * j];
    const cy = cen[2 * j + 1];
    // Dark strokes on a face are its brows, lids and lips unless they run across it; dark dots in
    // an eye are its pupil, bright ones its catchlight.
    const angle = angles[j];
    const along = (f: FaceZone) => Math.abs(Math.sin(angle - f.angle)) < 0.5; // within 30 degrees of the eye line
    const onFace = protect.faces.some((f) => Math.hypot(cx - f.x, cy - f.y) <= f.radius && extent < f.crossing && along(f));
    if (!bright && onFace && extent >= t.lineMinExtent) continue;
    if (extent <= t.speckMaxExtent && protect.eyes.some((e) => Math.hypot(cx - e.x, cy - e.y) <= e.radius)) continue;
    const edge = Math.abs(sideDiff[j] / area) > t.edgeRatio * mean;
    if (extent >= t.lineMinExtent && fatCount[j] <= t.lineMaxFat * area && !edge) {
      accept[j] = 1;
      tally.lines++;
    } else if (extent <= t.speckMaxExtent && mean >= t.speckContrast && Math.hypot(sideDiff[j], alongDiff[j]) / area <= t.speckEdgeRatio * mean && busy[j] / area - (255 * area) / (win.width * win.height) <= 255 * t.speckClutter) {
      accept[j] = 1;
      tally.specks++;
    }
  }
  const mine = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (lab[i] > 0 && accept[lab[i]]) mine[i] = 1;
  extendIntoWeak(cv, keep, wk, resp.rows, resp.cols, mine, t);
  const out = kept.data;
  for (let i = 0; i < n; i++) if (mine[i]) out[i] = 255;
  return tally;
}
