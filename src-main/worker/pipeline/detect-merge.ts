/**
 * How the detector's passes (whole photo, tiles, padded copy) are combined: which detections a
 * pass may keep, and which of two detections of the same face wins. Pure box arithmetic.
 */

/** [x, y, width, height] */
export type Box = [number, number, number, number];

/** True when a face is cut by a tile's inner edge (the whole-photo pass or a neighbouring tile sees it whole). */
export function cutByTile(b: Box, x0: number, y0: number, w: number, h: number, dw: number, dh: number): boolean {
  const m = 2;
  return (
    (x0 > 0 && b[0] <= x0 + m) ||
    (y0 > 0 && b[1] <= y0 + m) ||
    (x0 + w < dw && b[0] + b[2] >= x0 + w - m) ||
    (y0 + h < dh && b[1] + b[3] >= y0 + h - m)
  );
}

/**
 * SSD's box is the inner face (brows to chin); the head around it reaches about 10% further. A face
 * whose enlarged box leaves the photo fills the frame or is cut by its edge: that is where SSD
 * misses faces or places them badly, and the padded pass looks again.
 */
export const EDGE_MARGIN = 0.1;

export function nearEdge(b: Box, width: number, height: number): boolean {
  const mx = EDGE_MARGIN * b[2];
  const my = EDGE_MARGIN * b[3];
  return b[0] - mx < 0 || b[1] - my < 0 || b[0] + b[2] + mx > width || b[1] + b[3] + my > height;
}

/** Whether a detection of the padded copy belongs to the photo: its centre lies inside it, not in the padding. */
export function centreInside(b: Box, width: number, height: number): boolean {
  const cx = b[0] + b[2] / 2;
  const cy = b[1] + b[3] / 2;
  return cx >= 0 && cy >= 0 && cx < width && cy < height;
}

/** Overlap as intersection over the smaller box: a tile's partial view of a face counts as the same face. */
export function overlap(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  return inter / Math.max(1e-9, Math.min(a[2] * a[3], b[2] * b[3]));
}

/** Same face when boxes overlap by at least this (intersection over the smaller box). */
export const SAME_FACE = 0.35;

export function nonMaxSuppression<T extends { box: Box; score: number }>(faces: T[], threshold: number): T[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const f of sorted) if (kept.every((k) => overlap(k.box, f.box) < threshold)) kept.push(f);
  return kept;
}

/**
 * Adds the padded pass's faces to the first passes' ones. A face the first passes found at the
 * photo's edge is replaced by the padded pass's view of it (seen whole, with context around it, its
 * landmarks are better); a face found away from the edge keeps its full-resolution detection.
 */
export function mergePadded<T extends { box: Box; score: number }>(first: T[], padded: T[], width: number, height: number): T[] {
  const kept = first.filter((f) => !(nearEdge(f.box, width, height) && padded.some((p) => overlap(p.box, f.box) >= SAME_FACE)));
  const added = padded.filter((p) => kept.every((f) => overlap(p.box, f.box) < SAME_FACE));
  return [...kept, ...added];
}
