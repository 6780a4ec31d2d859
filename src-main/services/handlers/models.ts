/** models:* — the PMRF checkpoint: status, download, import. */
import type { ChannelHandlers, ServiceContext } from '../context.ts';

export function modelHandlers(c: ServiceContext): ChannelHandlers<'models:status' | 'models:install' | 'models:cancelInstall' | 'models:importDialog'> {
  const { models, picker } = c.deps;
  return {
    'models:status': async () => models.status(),
    'models:install': async () => models.install((p) => c.events.emit('models:progress', p)),
    'models:cancelInstall': async () => models.cancelInstall(),
    'models:importDialog': async () => {
      const file = await picker.modelFile();
      if (file === null) return null;
      c.allowList.add(file);
      return models.importFile(file);
    },
  };
}
