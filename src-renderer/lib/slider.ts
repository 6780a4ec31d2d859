// Before/after divider math. The divider position is a percentage (0 = all "after" visible,
// 100 = all "before") across the part of the stage the photo covers. Pure: unit-tested without a DOM.

export function clampPercent(p: number): number {
  if (!Number.isFinite(p)) return 50;
  return Math.min(100, Math.max(0, p));
}

/** Divider position for a pointer at clientX over a stage spanning [left, left + width]. */
export function percentFromPointer(clientX: number, left: number, width: number): number {
  if (!(width > 0)) return 50;
  return clampPercent(((clientX - left) / width) * 100);
}

/**
 * New position after a key press on the divider, or null if the key is not the slider's.
 * Arrows move 1% (10% with Shift), PageUp/PageDown 10%, Home/End jump to the ends.
 */
export function percentAfterKey(p: number, key: string, shift = false): number | null {
  const step = shift ? 10 : 1;
  switch (key) {
    case 'ArrowLeft':
    case 'ArrowDown':
      return clampPercent(p - step);
    case 'ArrowRight':
    case 'ArrowUp':
      return clampPercent(p + step);
    case 'PageDown':
      return clampPercent(p - 10);
    case 'PageUp':
      return clampPercent(p + 10);
    case 'Home':
      return 0;
    case 'End':
      return 100;
    default:
      return null;
  }
}

/** Stage x (px) of a divider at p% across the span of the stage the photo covers. */
export function dividerX(p: number, span: { left: number; width: number }): number {
  return span.left + (clampPercent(p) / 100) * span.width;
}

/** CSS clip-path for the "after" layer: it shows to the right of the divider at stage x (px). */
export function afterClipPath(x: number): string {
  return `inset(0 0 0 ${Math.max(0, Math.round(x * 100) / 100)}px)`;
}
