// Whether the PMRF weights are installed, the devices on offer, and a running download.
import type { DownloadProgress, ModelStatus } from '../../../src-shared/ipc.ts';
import { api, errorMessage } from '../api.ts';
import { downloadProblem } from '../download-problem.ts';
import { attempt, notices } from './notices.svelte.ts';

class ModelsStore {
  status = $state.raw<ModelStatus | null>(null);
  download = $state.raw<DownloadProgress | null>(null);
  /** The user chose to look around before installing the model. */
  deferred = $state(false);
  busy = $state(false);

  get installed(): boolean {
    return this.status?.installed === true;
  }

  get downloading(): boolean {
    const s = this.download?.state;
    return s === 'downloading' || s === 'verifying';
  }

  async load(): Promise<void> {
    const s = await attempt('Could not read the model status', () => api.invoke('models:status', {}));
    if (s) this.status = s;
  }

  async install(): Promise<void> {
    this.busy = true;
    this.download = { state: 'downloading', receivedBytes: 0, totalBytes: this.status?.sizeBytes ?? null, bytesPerSecond: 0, etaMs: null, error: null };
    try {
      this.status = await api.invoke('models:install', {});
    } catch (e) {
      if (this.downloading) this.download = { ...this.download!, state: 'failed', error: errorMessage(e) };
      // The setup screen says what happened (once); a notice only when the user left that screen.
      if (this.deferred && this.download?.state === 'failed') notices.push('error', downloadProblem(this.download.error).message);
    } finally {
      this.busy = false;
    }
  }

  async cancel(): Promise<void> {
    await attempt('Could not cancel the download', () => api.invoke('models:cancelInstall', {}));
  }

  async importFile(): Promise<void> {
    this.busy = true;
    try {
      const s = await attempt('Could not import the model', () => api.invoke('models:importDialog', {}));
      if (s) {
        this.status = s;
        if (s.installed) notices.push('success', 'Model imported.');
      }
    } finally {
      this.busy = false;
    }
  }

  progress(p: DownloadProgress): void {
    this.download = p;
    if (p.state === 'done') void this.load();
  }
}

export const models = new ModelsStore();
