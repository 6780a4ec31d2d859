/**
 * Electron entry (bundled to dist-electron/main.cjs). Thin on purpose: everything it wires is
 * plain Node code tested without Electron (services, worker, transport).
 */
import { app, BrowserWindow, dialog } from 'electron';
import { createAppServices, type AppServices } from '../services/create.ts';
import { appDataDir, cacheDir } from '../util/app-paths.ts';
import { registerIpc } from '../ipc/register.ts';
import { builtPaths } from './paths.ts';
import { electronPicker } from './picker.ts';
import { registerPrivilegedSchemes, serveApp, serveMedia } from './protocols.ts';
import { APP_ORIGIN, appUrlMatcher } from './origins.ts';
import { hardenSession, hardenWebContents } from './security.ts';
import { createMainWindow } from './window.ts';
import { utilityWorker } from './worker-process.ts';

// A renderer dev server is honoured only in development, never in a packaged app.
const devServerUrl = !app.isPackaged ? (process.env.HEIRLOOM_RENDERER_URL ?? null) : null;
const isAppUrl = appUrlMatcher(devServerUrl);

let mainWindow: BrowserWindow | null = null;
let services: AppServices | null = null;

registerPrivilegedSchemes();
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow === null) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, isAppUrl));
  app.whenReady().then(start, fail);
}

async function start(): Promise<void> {
  hardenSession(isAppUrl);
  services = await createAppServices({
    dataDir: appDataDir(),
    cacheDir: cacheDir(),
    picker: electronPicker(() => mainWindow),
    spawnWorker: utilityWorker(builtPaths.worker),
    spawnMediaWorker: utilityWorker(builtPaths.mediaWorker, 'Heirloom images'),
  });
  serveApp(builtPaths.renderer);
  serveMedia(services.services);
  registerIpc(services.services, isAppUrl, () => BrowserWindow.getAllWindows().map((w) => w.webContents));
  openWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
}

function openWindow(): void {
  mainWindow = createMainWindow({
    preload: builtPaths.preload,
    url: devServerUrl ?? `${APP_ORIGIN}/index.html`,
    icon: builtPaths.icon,
  });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

function fail(err: unknown): void {
  console.error('heirloom: failed to start:', err);
  // e.g. a library database written by a newer Heirloom, or a data folder that is not writable.
  dialog.showErrorBox('Heirloom cannot start', err instanceof Error ? err.message : String(err));
  app.exit(1);
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Quitting waits for the services to close: the batch abandons the photo in progress (it is
// redone at the next start), the inference process stops and the database closes cleanly.
app.on('before-quit', (event) => {
  const closing = services;
  if (closing === null) return;
  services = null;
  event.preventDefault();
  closing
    .close()
    .catch((err: unknown) => console.error('heirloom: error while closing:', err))
    .finally(() => app.quit());
});
