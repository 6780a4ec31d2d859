/**
 * The bridge: `window.heirloom` with named functions only (never ipcRenderer itself). Runs
 * sandboxed, so it is bundled to one CommonJS file that requires nothing but electron.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { isContractChannel, isEventName } from '../../src-shared/channels.ts';
import type { HeirloomApi, IpcEvents, MediaRef } from '../../src-shared/ipc.ts';
import { mediaProtocolUrl } from '../../src-shared/media-ref.ts';
import { DROPPED_PATHS_CHANNEL, type IpcReply } from '../ipc/internal.ts';

const api: HeirloomApi = {
  async invoke(channel, args) {
    if (!isContractChannel(channel)) throw new Error(`unknown channel ${String(channel)}`);
    const reply = (await ipcRenderer.invoke(channel, args)) as IpcReply;
    // contextBridge keeps only an Error's message, so the message is what the renderer gets.
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.result as never;
  },

  on(event, listener) {
    if (!isEventName(event)) throw new Error(`unknown event ${String(event)}`);
    const handler = (_e: IpcRendererEvent, payload: IpcEvents[typeof event]): void => listener(payload);
    ipcRenderer.on(event, handler);
    return () => {
      ipcRenderer.removeListener(event, handler);
    };
  },

  mediaUrl(ref: MediaRef, version?: number): string {
    return mediaProtocolUrl(ref, version);
  },

  pathsForDroppedFiles(files: File[]): string[] {
    const paths = Array.from(files, (f) => webUtils.getPathForFile(f)).filter((p) => p !== '');
    // Registered synchronously so library:importDropped right after finds them allowed.
    if (paths.length > 0 && ipcRenderer.sendSync(DROPPED_PATHS_CHANNEL, paths) !== true) return [];
    return paths;
  },
};

contextBridge.exposeInMainWorld('heirloom', api);
