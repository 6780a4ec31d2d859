// Messages for the user (errors, confirmations), shown in an aria-live region.
import { errorMessage } from '../api.ts';

export type NoticeKind = 'info' | 'success' | 'error';

export interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
}

const AUTO_DISMISS_MS = 6000;

class NoticesStore {
  items = $state.raw<Notice[]>([]);
  #next = 1;

  push(kind: NoticeKind, text: string): void {
    const n: Notice = { id: this.#next++, kind, text };
    this.items = [...this.items.slice(-4), n];
    // Errors stay until dismissed: the user must be able to read them.
    if (kind !== 'error') setTimeout(() => this.dismiss(n.id), AUTO_DISMISS_MS);
  }

  error(e: unknown, context?: string): void {
    const msg = errorMessage(e);
    this.push('error', context ? `${context}: ${msg}` : msg);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }
}

export const notices = new NoticesStore();

/** Runs an API call; failures become a notice instead of an unhandled rejection. */
export async function attempt<T>(context: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    notices.error(e, context);
    return undefined;
  }
}
