/**
 * Where the built pieces are, relative to the bundled main (dist-electron/main.cjs): one resolver
 * for development and packaged runs (inside app.asar the same relative layout holds).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const builtPaths = {
  preload: path.join(here, 'preload.cjs'),
  worker: path.join(here, 'worker.cjs'),
  mediaWorker: path.join(here, 'media-worker.cjs'),
  renderer: path.join(here, '..', 'dist-renderer'),
  icon: path.join(here, '..', 'resources', 'icon.png'),
};
