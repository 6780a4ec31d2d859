// The restore batch: start, pause, resume, cancel, and its throttled progress events.
import type { JobProgress } from '../../../src-shared/ipc.ts';
import { api } from '../api.ts';
import { isJobActive } from '../status.ts';
import { attempt, notices } from './notices.svelte.ts';

class JobsStore {
  progress = $state.raw<JobProgress | null>(null);
  /** Photos of the batch this window started (unknown for a batch resumed after a restart). */
  photoIds = $state.raw<number[]>([]);
  /** Stages each photo of the batch went through, for the progress panel. */
  lastStage = $state.raw<ReadonlyMap<number, string>>(new Map());
  starting = $state(false);

  get active(): boolean {
    return isJobActive(this.progress);
  }

  async load(): Promise<void> {
    const p = await attempt('Could not read the batch', () => api.invoke('jobs:current', {}));
    if (p !== undefined) this.progress = p;
  }

  async start(photoIds: number[]): Promise<void> {
    if (photoIds.length === 0) return;
    this.starting = true;
    try {
      const p = await attempt('Could not start restoring', () => api.invoke('jobs:start', { photoIds }));
      if (!p) return;
      this.photoIds = photoIds;
      this.lastStage = new Map();
      this.update(p);
    } finally {
      this.starting = false;
    }
  }

  async pause(): Promise<void> {
    await this.#control('jobs:pause', 'Could not pause');
  }

  async resume(): Promise<void> {
    await this.#control('jobs:resume', 'Could not resume');
  }

  async cancel(): Promise<void> {
    await this.#control('jobs:cancel', 'Could not cancel');
  }

  async #control(channel: 'jobs:pause' | 'jobs:resume' | 'jobs:cancel', context: string): Promise<void> {
    const jobId = this.progress?.jobId;
    if (jobId === undefined) return;
    const p = await attempt(context, () => api.invoke(channel, { jobId }));
    if (p) this.update(p);
  }

  /** Applies a progress event; stale events of another job are ignored once a newer one started. */
  update(p: JobProgress): void {
    const prev = this.progress;
    if (prev !== null && p.jobId < prev.jobId) return;
    this.progress = p;
    if (p.current) {
      const stages = new Map(this.lastStage);
      stages.set(p.current.photoId, p.current.stage);
      this.lastStage = stages;
    }
    if (prev?.jobId === p.jobId && isJobActive(prev) && !isJobActive(p)) {
      if (p.state === 'done') {
        const failed = p.failed > 0 ? ` (${p.failed} failed)` : '';
        notices.push(p.failed > 0 ? 'error' : 'success', `Restored ${p.done} of ${p.total} photo${p.total === 1 ? '' : 's'}${failed}.`);
      }
    }
  }

  dismiss(): void {
    if (!this.active) this.progress = null;
  }
}

export const jobs = new JobsStore();
