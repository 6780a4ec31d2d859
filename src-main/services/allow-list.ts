import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * Files and folders the user chose (dialog or drop). The services read or write a path only
 * when it is one of these or lies inside one of these folders. Paths are compared after
 * resolving symlinks, so a link inside a picked folder cannot point the app elsewhere.
 */
export class PathAllowList {
  readonly #roots = new Set<string>();

  /** Adds user-chosen paths (from a dialog, a drop, or settings saved earlier by the user). */
  add(...paths: string[]): void {
    for (const p of paths) this.#roots.add(canonical(p));
  }

  has(p: string): boolean {
    if (!path.isAbsolute(p)) return false;
    const c = canonical(p);
    for (const root of this.#roots) {
      if (c === root) return true;
      const rel = path.relative(root, c);
      if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return true;
    }
    return false;
  }

  /** The chosen roots, for diagnostics. */
  roots(): string[] {
    return [...this.#roots];
  }
}

/** Absolute, normalised, symlinks resolved where the path exists (a missing file keeps its name). */
function canonical(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync.native(abs);
  } catch {
    // Not there (yet): resolve the parent so an output file inside a linked folder still matches.
    const parent = path.dirname(abs);
    if (parent === abs) return abs;
    return path.join(canonical(parent), path.basename(abs));
  }
}
