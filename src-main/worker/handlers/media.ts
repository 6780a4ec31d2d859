/** Import headers and display copies for the app (the main process names and caches the files). */
import { imageHeader, writeDisplayCopy } from '../media.ts';
import type { Handlers } from './context.ts';

export const mediaHandlers: Handlers<'imageHeader' | 'displayCopy'> = {
  imageHeader: (params) => imageHeader(params.path),
  displayCopy: async (params) => {
    await writeDisplayCopy(params);
    return {};
  },
};
