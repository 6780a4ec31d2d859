/** The native dialogs behind the services' Picker. */
import { dialog, shell, type BrowserWindow, type OpenDialogOptions } from 'electron';
import type { Picker } from '../services/ports.ts';

const IMAGE_FILTER = { name: 'Photos', extensions: ['jpg', 'jpeg', 'png', 'tif', 'tiff', 'webp', 'heic', 'heif', 'avif'] };

export function electronPicker(window: () => BrowserWindow | null): Picker {
  const open = async (options: OpenDialogOptions): Promise<string[] | null> => {
    const w = window();
    const r = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
    return r.canceled || r.filePaths.length === 0 ? null : r.filePaths;
  };
  return {
    importPaths: (kind) =>
      kind === 'files'
        ? open({ title: 'Import photos', properties: ['openFile', 'multiSelections'], filters: [IMAGE_FILTER] })
        : open({ title: 'Import a folder of photos', properties: ['openDirectory', 'multiSelections'] }),
    outputFolder: async () =>
      (await open({ title: 'Choose the output folder', properties: ['openDirectory', 'createDirectory', 'promptToCreate'] }))?.[0] ?? null,
    modelFile: async () =>
      (await open({ title: 'Import the PMRF checkpoint', properties: ['openFile'], filters: [{ name: 'safetensors', extensions: ['safetensors'] }] }))?.[0] ?? null,
    showFolder: async (folder) => {
      const problem = await shell.openPath(folder);
      if (problem !== '') throw new Error(`Could not open the folder: ${problem}`);
    },
  };
}
