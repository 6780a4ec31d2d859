import { EVENT_NAMES } from '../../src-shared/channels.ts';
import type { EventName, IpcEvents } from '../../src-shared/ipc.ts';

type Listener<E extends EventName> = (payload: IpcEvents[E]) => void;

/** Typed fan-out of the contract's pushed events (to the window, the WebSocket clients, tests). */
export class EventHub {
  readonly #listeners = new Map<EventName, Set<(payload: never) => void>>();

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => {
      set.delete(listener as (payload: never) => void);
    };
  }

  /** Every event, for transports that forward all of them. */
  onAny(listener: <E extends EventName>(event: E, payload: IpcEvents[E]) => void): () => void {
    const offs = EVENT_NAMES.map((n) => this.on(n, (p) => listener(n, p)));
    return () => offs.forEach((off) => off());
  }

  emit<E extends EventName>(event: E, payload: IpcEvents[E]): void {
    for (const l of this.#listeners.get(event) ?? []) {
      try {
        (l as Listener<E>)(payload);
      } catch (err) {
        // A broken listener (a closed window) must not stop the others or the emitter.
        console.error(`heirloom: ${event} listener failed:`, err);
      }
    }
  }
}
