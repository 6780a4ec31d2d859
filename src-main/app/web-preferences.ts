import type { WebPreferences } from 'electron';

/**
 * The window's web preferences (kept apart from window.ts so plain-Node unit tests can check
 * them without loading Electron). The renderer gets no Node, runs sandboxed and isolated from
 * the preload, and cannot load mixed content, webviews or navigate by dropping files.
 */
export function hardenedWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}
