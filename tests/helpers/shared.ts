import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Small generated fixtures committed with the project (tiny PMRF vectors, ...). */
export const projectFixtures = path.join(repoRoot, 'tests', 'fixtures');

/**
 * The team's shared folder (photos, full PMRF vectors). Exists on developer machines and in CI
 * next to the clone, not in a user's clone. `HEIRLOOM_SHARED` overrides the location.
 */
export const sharedDir = process.env.HEIRLOOM_SHARED ?? path.resolve(repoRoot, '..', 'shared');

/**
 * Resolve a path inside the shared folder. Returns `{ skip: reason }` when it is absent so
 * tests can call `t.skip(reason)` / `{ skip }` and print why.
 */
export function sharedPath(...parts: string[]): { path: string; skip: false } | { path: string; skip: string } {
  const p = path.join(sharedDir, ...parts);
  if (existsSync(p)) return { path: p, skip: false };
  return { path: p, skip: `needs ${p} (set HEIRLOOM_SHARED to the shared folder)` };
}
