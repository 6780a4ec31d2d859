// App settings (restore settings + output folder), persisted by the main process.
import type { AppSettings } from '../../../src-shared/ipc.ts';
import type { RestoreSettings } from '../../../src-shared/settings.ts';
import { api } from '../api.ts';
import { attempt } from './notices.svelte.ts';
import { library } from './library.svelte.ts';
import { models } from './models.svelte.ts';

class SettingsStore {
  value = $state.raw<AppSettings | null>(null);
  saving = $state(false);

  async load(): Promise<void> {
    const s = await attempt('Could not load the settings', () => api.invoke('settings:get', {}));
    if (s) this.value = s;
  }

  /** Saves a change to the restore settings; the shown value reverts if the main process refuses it. */
  async setRestore(patch: Partial<RestoreSettings>): Promise<void> {
    const before = this.value;
    if (before === null) return;
    const next: AppSettings = { ...before, restore: { ...before.restore, ...patch } };
    this.value = next;
    this.saving = true;
    try {
      const saved = await attempt('Could not save the settings', () => api.invoke('settings:set', next));
      this.value = saved ?? before;
      // The time estimate depends on the steps and the device.
      if (saved && ('steps' in patch || 'device' in patch || 'sampler' in patch || 'fidelity' in patch)) await models.load();
      // Which results are out of date depends on the settings.
      if (saved) await library.load();
    } finally {
      this.saving = false;
    }
  }

  async pickOutputFolder(): Promise<boolean> {
    const s = await attempt('Could not choose the folder', () => api.invoke('settings:pickOutputFolder', {}));
    if (s) this.value = s;
    return Boolean(s?.outputFolder);
  }
}

export const settings = new SettingsStore();
