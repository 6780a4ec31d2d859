// Before/after divider math. The divider position is a percentage (0 = all "after" visible,
// 100 = all "before") measured from the left edge of the stage. Pure: unit-tested without a DOM.

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

/** CSS clip-path for the "after" layer: it shows to the right of the divider. */
export function afterClipPath(p: number): string {
  return `inset(0 0 0 ${clampPercent(p)}%)`;
}
