import { readFileSync } from 'node:fs';
import { appSettingsSchema, restoreSettingsSchema, type AppSettings } from '../../src-shared/ipc.ts';
import { DEFAULT_SETTINGS, upgradeRestoreSettings } from '../../src-shared/settings.ts';
import { writeFileAtomicSync } from '../util/atomic-file.ts';

export function defaultAppSettings(): AppSettings {
  return { restore: { ...DEFAULT_SETTINGS }, outputFolder: null };
}

/**
 * The app's settings as one JSON file in its data folder. A missing or damaged file gives the
 * defaults (with a warning) rather than a broken app, and a file missing fields or holding a bad
 * value keeps the rest; writes go to a temp name, then rename.
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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    console.warn(`heirloom: ${file}: unreadable settings (${(err as Error).message}); using defaults`);
    return defaultAppSettings();
  }
  const { settings, dropped } = mergeOverDefaults(json);
  if (dropped.length > 0) console.warn(`heirloom: ${file}: ignored invalid settings (${dropped.join(', ')}); using their defaults`);
  return settings;
}

/**
 * A saved file over the defaults, field by field: a file from an older version (fewer fields) or
 * with one bad value keeps everything else the user chose, the output folder above all.
 */
export function mergeOverDefaults(json: unknown): { settings: AppSettings; dropped: string[] } {
  const defaults = defaultAppSettings();
  const obj = isRecord(json) ? json : {};
  // `mode` from before the fidelity control becomes `fidelity`.
  const upgraded = upgradeRestoreSettings(obj.restore);
  const restoreIn = isRecord(upgraded) ? upgraded : {};
  const dropped: string[] = [];
  const restore: Record<string, unknown> = { ...defaults.restore };
  for (const [key, value] of Object.entries(restoreIn)) {
    if (!(key in defaults.restore)) continue;
    const field = restoreSettingsSchema.shape[key as keyof typeof restoreSettingsSchema.shape];
    if (field.safeParse(value).success) restore[key] = value;
    else dropped.push(`restore.${key}`);
  }
  let outputFolder = defaults.outputFolder;
  if ('outputFolder' in obj) {
    const r = appSettingsSchema.shape.outputFolder.safeParse(obj.outputFolder);
    if (r.success) outputFolder = r.data;
    else dropped.push('outputFolder');
  }
  return { settings: appSettingsSchema.parse({ restore, outputFolder }), dropped };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
