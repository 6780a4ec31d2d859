/**
 * Paths compared as the file system sees them: through symlinks (`ln -s album link; -o link`
 * must count as the album itself), and by device and inode where names differ in case.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** The real path of `p`; for a path not created yet, its nearest existing ancestor's real path plus the rest. */
export async function realPathOf(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(await realPathOf(parent), path.basename(abs));
  }
}

/** True when real path `inner` is `outer` or lies inside it. */
export function isInside(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function sameEntry(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return sa !== null && sb !== null && sa.ino === sb.ino && sa.dev === sb.dev;
}

/**
 * Why `output` cannot take the restored files of `inputs`, or null: it is one of the input
 * folders, or the folder an input photo is in, also when reached through a link. Writing there
 * would put outputs among the originals, and the next run would restore its own outputs.
 */
export async function outputFolderProblem(output: string, inputs: readonly string[]): Promise<string | null> {
  const out = await realPathOf(output);
  for (const input of inputs) {
    const abs = path.resolve(input);
    const st = await stat(abs).catch(() => null);
    if (st === null) continue;
    const folder = st.isDirectory() ? abs : path.dirname(abs);
    const real = await realPathOf(folder);
    if (real !== out && !(await sameEntry(real, out))) continue;
    const how = path.resolve(output) === folder ? '' : ' (through a link)';
    const what = st.isDirectory() ? `the input folder ${folder}` : `the folder ${path.basename(abs)} is in`;
    return (
      `the output folder ${output} is ${what}${how}: Heirloom never writes among the originals. ` +
      `Choose another output folder, for example ${path.join(folder, 'restored')}`
    );
  }
  return null;
}
