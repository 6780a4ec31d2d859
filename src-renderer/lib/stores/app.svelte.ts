// Startup: load every store and route pushed events to them.
import { api } from '../api.ts';
import { jobs } from './jobs.svelte.ts';
import { library } from './library.svelte.ts';
import { models } from './models.svelte.ts';
import { settings } from './settings.svelte.ts';

export async function startApp(): Promise<() => void> {
  const unsubscribe = [
    api.on('jobs:progress', (p) => jobs.update(p)),
    api.on('library:changed', (c) => library.changed(c.photoIds)),
    api.on('models:progress', (p) => models.progress(p)),
  ];
  await Promise.all([models.load(), settings.load(), library.load(), jobs.load()]);
  return () => unsubscribe.forEach((u) => u());
}
