// Keyboard navigation and selection in the gallery grid. Pure reducers: unit-tested without a DOM.

export interface GridPosition {
  /** Index of the focused tile, or -1 when the gallery is empty. */
  index: number;
  count: number;
  /** Tiles per row as laid out on screen (at least 1). */
  columns: number;
}

export type NavResult =
  | { kind: 'move'; index: number }
  | { kind: 'open'; index: number }
  | { kind: 'toggle'; index: number }
  | { kind: 'select-all' }
  | { kind: 'none' };

export interface NavKey {
  key: string;
  ctrlOrMeta?: boolean;
}

/** What a key press in the gallery does. Rows for PageUp/PageDown: `pageRows`. */
export function navigate(pos: GridPosition, ev: NavKey, pageRows = 3): NavResult {
  const { count } = pos;
  if (count <= 0) return { kind: 'none' };
  const columns = Math.max(1, Math.floor(pos.columns));
  const cur = pos.index < 0 || pos.index >= count ? 0 : pos.index;
  const to = (i: number): NavResult => ({ kind: 'move', index: Math.min(count - 1, Math.max(0, i)) });
  switch (ev.key) {
    case 'ArrowRight':
      return to(cur + 1);
    case 'ArrowLeft':
      return to(cur - 1);
    case 'ArrowDown':
      // Stay put on the last row rather than jumping to the end.
      return cur + columns < count ? to(cur + columns) : to(cur);
    case 'ArrowUp':
      return cur - columns >= 0 ? to(cur - columns) : to(cur);
    case 'PageDown':
      return to(cur + columns * pageRows);
    case 'PageUp':
      return to(cur - columns * pageRows);
    case 'Home':
      return to(ev.ctrlOrMeta ? 0 : cur - (cur % columns));
    case 'End':
      return to(ev.ctrlOrMeta ? count - 1 : cur - (cur % columns) + columns - 1);
    case 'Enter':
      return { kind: 'open', index: cur };
    case ' ':
      return { kind: 'toggle', index: cur };
    case 'a':
    case 'A':
      return ev.ctrlOrMeta ? { kind: 'select-all' } : { kind: 'none' };
    default:
      return { kind: 'none' };
  }
}

/** Tiles per row for a grid of `containerWidth` with tiles `tileWidth` wide separated by `gap`. */
export function columnsFor(containerWidth: number, tileWidth: number, gap: number): number {
  if (!(containerWidth > 0 && tileWidth > 0)) return 1;
  return Math.max(1, Math.floor((containerWidth + gap) / (tileWidth + gap)));
}

export interface Selection {
  ids: ReadonlySet<number>;
  /** Where a Shift range starts. */
  anchor: number | null;
}

export type SelectAction =
  | { kind: 'single'; id: number }
  | { kind: 'toggle'; id: number }
  | { kind: 'range'; id: number; order: readonly number[] }
  | { kind: 'all'; order: readonly number[] }
  | { kind: 'clear' }
  | { kind: 'retain'; order: readonly number[] };

/** Click = single, Ctrl/Cmd-click or Space = toggle, Shift-click = range from the anchor. */
export function select(sel: Selection, action: SelectAction): Selection {
  switch (action.kind) {
    case 'single':
      return { ids: new Set([action.id]), anchor: action.id };
    case 'toggle': {
      const ids = new Set(sel.ids);
      if (ids.has(action.id)) ids.delete(action.id);
      else ids.add(action.id);
      return { ids, anchor: action.id };
    }
    case 'range': {
      const to = action.order.indexOf(action.id);
      const from = sel.anchor === null ? -1 : action.order.indexOf(sel.anchor);
      if (to < 0) return sel;
      if (from < 0) return { ids: new Set([action.id]), anchor: action.id };
      const [a, b] = from <= to ? [from, to] : [to, from];
      return { ids: new Set(action.order.slice(a, b + 1)), anchor: sel.anchor };
    }
    case 'all':
      return { ids: new Set(action.order), anchor: sel.anchor };
    case 'clear':
      return { ids: new Set(), anchor: null };
    case 'retain': {
      // Drop ids that left the library (removed photos).
      const present = new Set(action.order);
      const ids = new Set([...sel.ids].filter((i) => present.has(i)));
      const anchor = sel.anchor !== null && present.has(sel.anchor) ? sel.anchor : null;
      return { ids, anchor };
    }
  }
}
