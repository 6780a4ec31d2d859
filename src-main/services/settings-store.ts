import { readFileSync } from 'node:fs';
import path from 'node:path';
import { appSettingsSchema, type AppSettings } from '../../src-shared/ipc.ts';
import { DEFAULT_SETTINGS } from '../../src-shared/settings.ts';
import { writeFileAtomicSync } from '../util/atomic-file.ts';

export function defaultAppSettings(): AppSettings {
  return { restore: { ...DEFAULT_SETTINGS }, outputFolder: null };
}

/**
 * The app's settings as one JSON file in its data folder. A missing or damaged file gives the
 * defaults (with a warning) rather than a broken app; writes go to a temp name, then rename.
 */
export class SettingsStore {
  readonly #file: string;
  #current: AppSettings;

  constructor(file: string) {
    this.#file = file;
    this.#current = load(file);
  }

  get(): AppSettings {
    return structuredClone(this.#current);
  }

  set(next: AppSettings): void {
    const valid = appSettingsSchema.parse(next);
    writeFileAtomicSync(this.#file, JSON.stringify(valid, null, 2) + '\n');
    this.#current = structuredClone(valid);
  }
}

function load(file: string): AppSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return defaultAppSettings();
  }
  try {
    const r = appSettingsSchema.safeParse(JSON.parse(text));
    if (r.success) return r.data;
    console.warn(`heirloom: ${file}: invalid settings (${r.error.issues[0]?.message}); using defaults`);
  } catch (err) {
    console.warn(`heirloom: ${file}: unreadable settings (${(err as Error).message}); using defaults`);
  }
  return defaultAppSettings();
}
