/** settings:* — the app's settings; folders only from the folder dialog. */
import { ServiceError } from '../errors.ts';
import type { ChannelHandlers, ServiceContext } from '../context.ts';

export function settingsHandlers(c: ServiceContext): ChannelHandlers<'settings:get' | 'settings:set' | 'settings:pickOutputFolder'> {
  const lib = c.library;
  return {
    'settings:get': async () => c.settings(),
    'settings:set': async (next) => {
      const current = c.settings();
      if (next.outputFolder !== null && next.outputFolder !== current.outputFolder && !c.allowList.has(next.outputFolder)) {
        throw new ServiceError('not-allowed', 'Choose the output folder with the folder dialog.');
      }
      lib.setSettings(next);
      return c.settings();
    },
    'settings:pickOutputFolder': async () => {
      const folder = await c.deps.picker.outputFolder();
      if (folder === null) return c.settings();
      c.allowList.add(folder);
      lib.setSettings({ ...c.settings(), outputFolder: folder });
      return c.settings();
    },
  };
}
