// The damage mask as the viewer edits it: one byte per photo pixel (255 = repair), painted with a
// round brush, shown as a red veil. Pure: unit-tested without a DOM.

/** Paint a disc of radius `r` (photo pixels) at (cx, cy). Returns whether any pixel changed. */
export function paintDisc(mask: Uint8Array, width: number, height: number, cx: number, cy: number, r: number, value: 0 | 255): boolean {
  let changed = false;
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(width - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(height - 1, Math.ceil(cy + r));
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      if (dx * dx + dy * dy > r2) continue;
      const i = y * width + x;
      if (mask[i] !== value) {
        mask[i] = value;
        changed = true;
      }
    }
  }
  return changed;
}

/** A brush stroke from a to b: discs close enough together to leave no gaps. */
export function paintStroke(
  mask: Uint8Array,
  width: number,
  height: number,
  a: readonly [number, number],
  b: readonly [number, number],
  r: number,
  value: 0 | 255,
): boolean {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
  const steps = Math.max(1, Math.ceil(len / Math.max(0.5, r / 2)));
  let changed = false;
  for (let k = 0; k <= steps; k++) {
    const t = k / steps;
    changed = paintDisc(mask, width, height, a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), r, value) || changed;
  }
  return changed;
}

/** One byte per pixel from decoded RGBA (any channel above half = repair). */
export function maskFromRgba(rgba: Uint8ClampedArray, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = rgba[4 * i] >= 128 ? 255 : 0;
  return out;
}

/** RGBA of the veil: repaired pixels red and half transparent, the rest clear. */
export function veilRgba(mask: Uint8Array): Uint8ClampedArray {
  const out = new Uint8ClampedArray(mask.length * 4);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    out[4 * i] = 255;
    out[4 * i + 1] = 40;
    out[4 * i + 2] = 40;
    out[4 * i + 3] = 170;
  }
  return out;
}

/** RGBA of the mask file itself: white = repair, black = keep (opaque). */
export function maskRgba(mask: Uint8Array): Uint8ClampedArray {
  const out = new Uint8ClampedArray(mask.length * 4);
  for (let i = 0; i < mask.length; i++) {
    out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = mask[i];
    out[4 * i + 3] = 255;
  }
  return out;
}

/** Brush radius in photo pixels for a radius on screen at the current zoom (photo px per screen px). */
export function brushRadius(screenRadius: number, photoPerScreen: number): number {
  return Math.max(0.5, screenRadius * photoPerScreen);
}
