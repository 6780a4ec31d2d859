// Zoom and pan of a photo inside a stage, shared by both sides of the viewer so they stay in
// sync. The photo is first fitted (contain) into the stage; a View then scales it about its
// top-left corner and translates it, in stage pixels. Pure: unit-tested without a DOM.

export interface Size {
  width: number;
  height: number;
}

export interface Rect extends Size {
  left: number;
  top: number;
}

export interface View {
  /** 1 = fitted to the stage. */
  scale: number;
  /** Translation in stage pixels, applied after scaling. */
  x: number;
  y: number;
}

export const FIT_VIEW: View = Object.freeze({ scale: 1, x: 0, y: 0 });
export const MIN_SCALE = 1;
export const MAX_SCALE = 16;

/** The photo's fitted rectangle inside the stage (centred, aspect preserved, never upscaled past the stage). */
export function fitRect(stage: Size, image: Size): Rect {
  if (!(stage.width > 0 && stage.height > 0 && image.width > 0 && image.height > 0)) {
    return { left: 0, top: 0, width: 0, height: 0 };
  }
  const k = Math.min(stage.width / image.width, stage.height / image.height);
  const width = image.width * k;
  const height = image.height * k;
  return { left: (stage.width - width) / 2, top: (stage.height - height) / 2, width, height };
}

/**
 * The zoom as the photo's own pixels see it: 100% = one photo pixel per screen (CSS) pixel. At
 * the fitted view a 400 px photo in a 990 px stage is shown at 248%, a large scan at a few %.
 */
export function zoomPercent(fit: Rect, image: Size, view: View): number {
  if (!(image.width > 0 && fit.width > 0)) return 0;
  return Math.round((100 * fit.width * view.scale) / image.width);
}

/**
 * Keeps the zoomed photo covering the stage where it can: no empty margin on a side when the
 * photo is larger than the stage along that axis, and centred (x = y = 0) at scale 1.
 */
export function clampView(view: View, stage: Size, fit: Rect): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale));
  const clampAxis = (t: number, stageLen: number, start: number, len: number): number => {
    const scaled = len * scale;
    // The fitted box is scaled about its own top-left corner, then translated by t.
    const lo = stageLen - (start + scaled); // right/bottom edge meets the stage edge
    const hi = -start; // left/top edge meets the stage edge
    if (scaled <= stageLen) {
      // Smaller than the stage: keep it centred.
      return (stageLen - scaled) / 2 - start;
    }
    return Math.min(hi, Math.max(lo, t));
  };
  return {
    scale,
    x: clampAxis(view.x, stage.width, fit.left, fit.width),
    y: clampAxis(view.y, stage.height, fit.top, fit.height),
  };
}

/** Zooms by `factor` keeping the stage point (px, py) fixed under the pointer. */
export function zoomAt(view: View, factor: number, px: number, py: number, stage: Size, fit: Rect): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const k = scale / view.scale;
  // A stage point p maps from photo-local u via p = fit.left + x + u*scale; keep u fixed.
  const x = px - fit.left - (px - fit.left - view.x) * k;
  const y = py - fit.top - (py - fit.top - view.y) * k;
  return clampView({ scale, x, y }, stage, fit);
}

export function panBy(view: View, dx: number, dy: number, stage: Size, fit: Rect): View {
  return clampView({ scale: view.scale, x: view.x + dx, y: view.y + dy }, stage, fit);
}

/** CSS transform for the fitted photo box (transform-origin 0 0). */
export function viewTransform(view: View): string {
  return `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
}

/** A face box [x, y, w, h] in photo pixels as percentages of the photo, for an overlay. */
export function boxPercent(box: readonly [number, number, number, number], image: Size): Rect {
  if (!(image.width > 0 && image.height > 0)) return { left: 0, top: 0, width: 0, height: 0 };
  return {
    left: (box[0] / image.width) * 100,
    top: (box[1] / image.height) * 100,
    width: (box[2] / image.width) * 100,
    height: (box[3] / image.height) * 100,
  };
}

/**
 * The horizontal part of the stage the photo covers, in stage pixels: where a before/after
 * divider can usefully go (not over the letterbox bars beside a fitted photo).
 */
export function visibleSpan(stage: Size, fit: Rect, view: View): { left: number; width: number } {
  const a = Math.max(0, fit.left + view.x);
  const b = Math.min(stage.width, fit.left + view.x + fit.width * view.scale);
  return b > a ? { left: a, width: b - a } : { left: 0, width: 0 };
}

/** The vertical counterpart of visibleSpan: where the photo's top and bottom lie in the stage. */
export function visibleRows(stage: Size, fit: Rect, view: View): { top: number; height: number } {
  const a = Math.max(0, fit.top + view.y);
  const b = Math.min(stage.height, fit.top + view.y + fit.height * view.scale);
  return b > a ? { top: a, height: b - a } : { top: 0, height: 0 };
}

/** A stage point (stage pixels) in photo pixels, through the fit and the zoom/pan view. */
export function stageToPhoto(px: number, py: number, fit: Rect, view: View, image: Size): [number, number] {
  if (!(fit.width > 0 && fit.height > 0)) return [0, 0];
  return [((px - fit.left - view.x) / (fit.width * view.scale)) * image.width, ((py - fit.top - view.y) / (fit.height * view.scale)) * image.height];
}

/**
 * The box [x, y, w, h] (whole photo pixels) spanned by a drag between two photo points, in any
 * direction, clipped to the photo. null when nothing of it lies on the photo.
 */
export function dragBox(a: readonly [number, number], b: readonly [number, number], image: Size): [number, number, number, number] | null {
  const x0 = Math.max(0, Math.round(Math.min(a[0], b[0])));
  const y0 = Math.max(0, Math.round(Math.min(a[1], b[1])));
  const x1 = Math.min(image.width, Math.round(Math.max(a[0], b[0])));
  const y1 = Math.min(image.height, Math.round(Math.max(a[1], b[1])));
  return x1 > x0 && y1 > y0 ? [x0, y0, x1 - x0, y1 - y0] : null;
}
