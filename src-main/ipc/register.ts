/**
 * ipcMain handlers: one per contract channel, each checking that the call comes from our own
 * page's top frame before the services validate its arguments. Events go to every window.
 */
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { CHANNELS } from '../../src-shared/channels.ts';
import { isTrustedFrame } from '../app/origins.ts';
import { ServiceError, toIpcError } from '../services/errors.ts';
import type { HeirloomServices } from '../services/heirloom-services.ts';
import { DROPPED_PATHS_CHANNEL, type IpcReply } from './internal.ts';

export function registerIpc(
  services: HeirloomServices,
  isAppUrl: (url: string) => boolean,
  targets: () => WebContents[],
): () => void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, args: unknown): Promise<IpcReply> => {
      try {
        if (!isTrustedFrame(event.senderFrame, isAppUrl)) throw new ServiceError('not-allowed', 'call from an untrusted page refused');
        return { ok: true, result: await services.handle(channel, args) };
      } catch (err) {
        return { ok: false, error: toIpcError(err) };
      }
    });
  }

  // Dropped paths come from the renderer, so they only ever allow an import (never a folder to
  // write into), and only paths that look like a real drop (services/allow-list.ts).
  ipcMain.on(DROPPED_PATHS_CHANNEL, (event: IpcMainEvent, paths: unknown) => {
    const wellFormed =
      isTrustedFrame(event.senderFrame, isAppUrl) &&
      Array.isArray(paths) &&
      paths.length <= 10000 &&
      paths.every((p) => typeof p === 'string' && p.length > 0 && p.length < 4096);
    event.returnValue = wellFormed && services.allowDropped(paths as string[]).length === 0;
  });

  const offEvents = services.onAny((name, payload) => {
    for (const wc of targets()) if (!wc.isDestroyed()) wc.send(name, payload);
  });

  return () => {
    offEvents();
    for (const channel of CHANNELS) ipcMain.removeHandler(channel);
    ipcMain.removeAllListeners(DROPPED_PATHS_CHANNEL);
  };
}
