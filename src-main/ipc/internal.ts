/** Wire details between the preload and the main-process handlers (not part of the renderer's contract). */
import type { IpcErrorPayload } from '../../src-shared/ipc.ts';

/**
 * What each ipcMain.handle returns. Errors travel as data because Electron rewrites thrown
 * errors ("Error invoking remote method ...") and drops their fields.
 */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: IpcErrorPayload };

/**
 * The preload reports the paths of files dropped on the window (sync, before the renderer can
 * call library:importDropped with them). Only real File objects from a drop have a path, so a
 * compromised renderer cannot add arbitrary paths this way.
 */
export const DROPPED_PATHS_CHANNEL = 'heirloom-internal:dropped-paths';
