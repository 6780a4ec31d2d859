// Which photo has keyboard focus, which are selected, and which one the viewer shows.
import { select, type SelectAction, type Selection } from '../gallery-nav.ts';

class SelectionStore {
  focusedId = $state<number | null>(null);
  state = $state.raw<Selection>({ ids: new Set(), anchor: null });
  /** The photo open in the viewer; null shows the gallery. */
  openId = $state<number | null>(null);

  get ids(): ReadonlySet<number> {
    return this.state.ids;
  }

  apply(action: SelectAction): void {
    this.state = select(this.state, action);
  }

  isSelected(id: number): boolean {
    return this.state.ids.has(id);
  }

  open(id: number): void {
    this.focusedId = id;
    this.openId = id;
  }

  /** Set when the viewer closes: the gallery takes the focus back (on the photo that was open). */
  returning = $state(false);

  close(): void {
    this.openId = null;
    this.returning = true;
  }
}

export const selection = new SelectionStore();
