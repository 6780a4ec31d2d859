/** The export's before/after pairs (names chosen by the main process). */
import { writePairAtScale } from '../export-pair.ts';
import type { Handlers } from './context.ts';

export const pairHandlers: Handlers<'writePair'> = {
  writePair: async (params) => {
    await writePairAtScale(params);
    return {};
  },
};
