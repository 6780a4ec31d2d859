import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { modelsDir } from './app-paths.ts';

/**
 * sha256 of a file, memoised by (real path, size, mtime) in `<modelsDir>/hashes.json`: hashing
 * the 923 MB checkpoint takes seconds and the engine keys its build cache on the hash.
 */

interface MemoEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}
type Memo = Record<string, MemoEntry>;

export function hashMemoPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return path.join(modelsDir(env), 'hashes.json');
}

/** sha256 (lowercase hex) of the whole file, streamed. */
export async function sha256Stream(filePath: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20, signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readMemo(memoFile: string): Promise<Memo> {
  try {
    const raw: unknown = JSON.parse(await readFile(memoFile, 'utf8'));
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
    const memo: Memo = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      const e = v as Partial<MemoEntry> | null;
      if (e && typeof e.size === 'number' && typeof e.mtimeMs === 'number' && typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256)) {
        memo[k] = { size: e.size, mtimeMs: e.mtimeMs, sha256: e.sha256 };
      }
    }
    return memo;
  } catch {
    return {}; // missing or corrupt memo: it is only a cache
  }
}

async function writeMemo(memoFile: string, memo: Memo): Promise<void> {
  await mkdir(path.dirname(memoFile), { recursive: true });
  const tmp = `${memoFile}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, JSON.stringify(memo, null, 1));
  await rename(tmp, memoFile);
}

export interface Sha256Options {
  /** Memo file; defaults to `<modelsDir>/hashes.json`. */
  memoFile?: string;
  signal?: AbortSignal;
}

/** sha256 of `filePath`, from the memo when size and mtime are unchanged. */
export async function sha256File(filePath: string, opts: Sha256Options = {}): Promise<string> {
  const real = await realpath(filePath);
  const memoFile = opts.memoFile ?? hashMemoPath();
  const st = await stat(real);
  const memo = await readMemo(memoFile);
  const hit = memo[real];
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const sha256 = await sha256Stream(real, opts.signal);
  await rememberSha256(real, sha256, { memoFile });
  return sha256;
}

/** Records a hash computed elsewhere (e.g. while downloading) so it need not be recomputed. */
export async function rememberSha256(filePath: string, sha256: string, opts: { memoFile?: string } = {}): Promise<void> {
  const real = await realpath(filePath);
  const memoFile = opts.memoFile ?? hashMemoPath();
  const st = await stat(real);
  const memo = await readMemo(memoFile); // re-read: another process may have added entries
  for (const key of Object.keys(memo)) if (!existsSync(key)) delete memo[key]; // forget deleted files
  memo[real] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
  try {
    await writeMemo(memoFile, memo);
  } catch {
    // A read-only models folder must not break hashing: the memo is an optimisation.
  }
}
