import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Where Heirloom keeps its own files. One resolver for the CLI, the app and the worker.
 * `HEIRLOOM_HOME` overrides everything (tests, portable installs); otherwise the platform's
 * usual per-user folders are used. Every function reads the environment at call time.
 */

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v : undefined;
}

/** Per-user data folder: models, library database, settings. */
export function appDataDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = nonEmpty(env.HEIRLOOM_HOME);
  if (override) return path.resolve(override);
  const home = homedir();
  if (platform === 'win32') return path.join(nonEmpty(env.APPDATA) ?? path.join(home, 'AppData', 'Roaming'), 'Heirloom');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Heirloom');
  return path.join(nonEmpty(env.XDG_DATA_HOME) ?? path.join(home, '.local', 'share'), 'heirloom');
}

/** Installed model checkpoints (and their hash memo). */
export function modelsDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  return path.join(appDataDir(env, platform), 'models');
}

/** Regenerable files (built ONNX graphs, thumbnails): safe to delete at any time. */
export function cacheDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = nonEmpty(env.HEIRLOOM_HOME);
  if (override) return path.join(path.resolve(override), 'cache');
  const home = homedir();
  if (platform === 'win32') return path.join(nonEmpty(env.LOCALAPPDATA) ?? path.join(home, 'AppData', 'Local'), 'Heirloom', 'Cache');
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'Heirloom');
  return path.join(nonEmpty(env.XDG_CACHE_HOME) ?? path.join(home, '.cache'), 'heirloom');
}
