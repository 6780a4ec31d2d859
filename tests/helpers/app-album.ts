// The app's services over a fresh album folder, as the Electron main process runs them (SQLite
// library, batch queue, inference and media workers), with the tiny PMRF test model.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JobProgress } from '../../src-shared/ipc.ts';
import { ConfiguredPicker } from '../../src-main/services/configured-picker.ts';
import { createAppServices, type AppServices } from '../../src-main/services/create.ts';
import { projectFixtures } from './shared.ts';

const tiny = path.join(projectFixtures, 'pmrf', 'tiny');
export const tinyEngine = { model: path.join(tiny, 'checkpoint.safetensors'), arch: path.join(tiny, 'meta.json'), faceSize: 128 };

export interface Album {
  root: string;
  /** The folder the import dialog answers with (the originals). */
  input: string;
  /** The folder the output-folder dialog answers with. */
  out: string;
  app: AppServices;
}

const opened: AppServices[] = [];

/**
 * A temporary album: `fill` writes the photos into its input folder, then the app's services start
 * over it (their data folder inside the album). Close them all with `closeAlbums` in `after`.
 */
export async function openAlbum(prefix: string, fill: (input: string) => void | Promise<void>): Promise<Album> {
  const root = mkdtempSync(path.join(tmpdir(), `heirloom-${prefix}-`));
  const input = path.join(root, 'input');
  const out = path.join(root, 'out');
  mkdirSync(input);
  mkdirSync(out);
  await fill(input);
  const picker = new ConfiguredPicker();
  picker.imports = [input];
  picker.outputFolderAnswer = out;
  // Models and built graphs of this run stay in its folder.
  process.env.HEIRLOOM_HOME = path.join(root, 'data');
  const app = await createAppServices({ dataDir: path.join(root, 'data'), picker, engine: tinyEngine });
  opened.push(app);
  return { root, input, out, app };
}

export async function closeAlbums(): Promise<void> {
  for (const a of opened.splice(0)) await a.close().catch(() => {});
}

/** The first progress event that satisfies `pred`. */
export function jobProgress(app: AppServices, what: string, pred: (p: JobProgress) => boolean, timeoutMs = 180_000): Promise<JobProgress> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    const off = app.services.on('jobs:progress', (p) => {
      if (pred(p)) {
        clearTimeout(timer);
        off();
        resolve(p);
      }
    });
  });
}

/** Starts a batch of these photos and waits for its end. */
export async function runBatch(app: AppServices, photoIds: number[]): Promise<JobProgress> {
  const end = jobProgress(app, 'the batch to finish', (p) => p.state === 'done' || p.state === 'failed');
  await app.services.call('jobs:start', { photoIds });
  return end;
}
