import { BrowserWindow } from 'electron';
import { hardenedWebPreferences } from './web-preferences.ts';

/** The main window with the hardened web preferences (see STYLE.md and PRODUCT.md). */
export function createMainWindow(options: { preload: string; url: string; icon?: string }): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'Heirloom',
    backgroundColor: '#1d1b19',
    icon: options.icon,
    webPreferences: hardenedWebPreferences(options.preload),
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(options.url);
  return win;
}
