import { realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isImageName } from '../../src-shared/rules.ts';

/**
 * Files and folders the user chose. The services read or write a path only when it is one of
 * these or lies inside one of them. Paths are compared after resolving symlinks, so a link
 * inside a picked folder cannot point the app elsewhere.
 *
 * Two grants, because only one of them is obtained by the main process itself:
 *  - picked (`add`): from a native dialog (or settings the user saved that way): any use, also
 *    as a place to write (output and export folders) or a model to install;
 *  - dropped (`addDropped`): reported by the renderer (its preload reads the dropped files'
 *    paths), which a compromised renderer could forge. They are checked here (droppedPathProblem)
 *    and only ever allow importing photos: never a folder to write into, never a model file.
 */
export class PathAllowList {
  readonly #roots = new Set<string>();
  readonly #dropped = new Set<string>();

  /** Adds paths the main process obtained from a native dialog (or settings saved from one). */
  add(...paths: string[]): void {
    for (const p of paths) this.#roots.add(canonical(p));
  }

  /** Adds dropped paths that pass droppedPathProblem; returns those refused, with why. */
  addDropped(paths: readonly string[]): { path: string; problem: string }[] {
    const refused: { path: string; problem: string }[] = [];
    for (const p of paths) {
      const problem = droppedPathProblem(p);
      if (problem === null) this.#dropped.add(canonical(p));
      else refused.push({ path: p, problem });
    }
    return refused;
  }

  /** Picked: may be read, written or installed from. */
  has(p: string): boolean {
    return within(p, this.#roots);
  }

  /** Picked or dropped: may be imported as photos (read only). */
  hasForImport(p: string): boolean {
    return within(p, this.#roots) || within(p, this.#dropped);
  }

  /** The chosen roots, for diagnostics. */
  roots(): string[] {
    return [...this.#roots];
  }
}

function within(p: string, roots: ReadonlySet<string>): boolean {
  if (!path.isAbsolute(p)) return false;
  const c = canonical(p);
  for (const root of roots) {
    if (c === root) return true;
    const rel = path.relative(root, c);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return true;
  }
  return false;
}

/**
 * Why a path the renderer says was dropped is not taken (null: taken). A real drop is a photo
 * file or a folder that exists; a whole disk or the home folder is not an album, and is what a
 * forged message would ask for to reach everything.
 */
export function droppedPathProblem(p: string): string | null {
  if (!path.isAbsolute(p)) return 'not an absolute path';
  let st;
  try {
    st = statSync(p);
  } catch {
    return 'not found';
  }
  const c = canonical(p);
  if (st.isDirectory()) {
    if (path.dirname(c) === c) return 'a whole disk, not a folder of photos';
    if (c === canonical(os.homedir())) return 'the whole home folder, not a folder of photos';
    return null;
  }
  if (!st.isFile()) return 'not a file or folder';
  return isImageName(c) ? null : 'not a photo file';
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
