import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rm, stat, statfs, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { commitFiles } from '../util/atomic-file.ts';
import { UserError } from '../util/errors.ts';
import { httpStatusError } from './hf-hub.ts';
import { httpFetch } from './http.ts';
import { lockWithPid } from '../util/pid.ts';

/**
 * Resumable, verified download of one large file:
 * - bytes go to `<dest>.part` (+ `<dest>.part.json` recording what it is a part of);
 * - a later call resumes with `Range: bytes=<have>-`: a 206 appends, a 200 (server ignored the
 *   range) restarts from zero;
 * - at the end the size and sha256 are checked; only then is the file renamed to `dest`
 *   (atomic on one filesystem). A mismatch deletes the part and throws.
 */

export interface DownloadProgress {
  /** Bytes of the file on disk so far (including a resumed prefix). */
  bytes: number;
  total: number | undefined;
  /** Recent transfer speed, bytes per second. */
  bytesPerSecond: number;
  /** Estimated seconds left, when total and speed are known. */
  etaSeconds: number | undefined;
  /** Bytes that were already present from an earlier attempt. */
  resumedFrom: number;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  expectedSize?: number;
  /**
   * What the `.part` is a part of, when `url` varies between attempts (signed CDN URLs):
   * a stable resolve URL. Defaults to `url`.
   */
  partKey?: string;
  /** Lowercase hex; when absent only the size is checked. */
  expectedSha256?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Extra request headers (the Hub's authorization). */
  headers?: Record<string, string>;
  /** Where proxy settings are read (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Give up when no byte arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Called on the complete `.part` before it is renamed into place; throw to reject it. */
  validate?: (partPath: string) => Promise<void>;
}

export interface DownloadResult {
  path: string;
  size: number;
  sha256: string;
  /** Body bytes received by this call (less than size after a resume). */
  bytesTransferred: number;
  resumedFrom: number;
}

interface PartInfo {
  url: string;
  size: number | null;
  sha256: string | null;
}

const PROGRESS_INTERVAL_MS = 100;

async function fileSize(p: string): Promise<number> {
  try {
    return (await stat(p)).size;
  } catch {
    return 0;
  }
}

/** The `.part` is only resumed when it was started for the same expected file. */
async function usablePart(part: string, info: PartInfo): Promise<number> {
  const have = await fileSize(part);
  if (have === 0) return 0;
  try {
    const old = JSON.parse(await readFile(`${part}.json`, 'utf8')) as Partial<PartInfo>;
    const same = old.sha256 === info.sha256 && old.size === info.size && (info.sha256 !== null || old.url === info.url);
    if (same && (info.size === null || have <= info.size)) return have;
  } catch {
    // no or unreadable sidecar: we cannot know what the bytes are
  }
  return 0;
}

async function hashPrefix(part: string, length: number, hash: Hash, signal?: AbortSignal): Promise<void> {
  if (length === 0) return;
  for await (const chunk of createReadStream(part, { start: 0, end: length - 1, highWaterMark: 1 << 20, signal })) {
    hash.update(chunk as Buffer);
  }
}

function contentRangeStart(header: string | null): { start: number; total: number | undefined } | undefined {
  const m = header?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/**
 * One download per destination at a time (the app and the CLI may both try): a lock file
 * created exclusively, holding the owner's pid; a lock whose process is gone is stale.
 */
function acquireLock(lockFile: string): () => void {
  const lock = lockWithPid(lockFile);
  if ('heldBy' in lock) {
    throw new UserError(`another Heirloom process (pid ${lock.heldBy}) is already downloading this model; wait for it or stop it`);
  }
  return lock.release;
}

async function checkDiskSpace(dir: string, needed: number): Promise<void> {
  let free: number;
  try {
    const fs = await statfs(dir);
    free = fs.bavail * fs.bsize;
  } catch {
    return; // unknown: let the write fail if it must
  }
  if (free < needed) {
    throw new UserError(`not enough disk space in ${dir}: the download needs ${mb(needed)} more, ${mb(free)} is free`);
  }
}

export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  await mkdir(path.dirname(opts.dest), { recursive: true });
  const lock = `${opts.dest}.lock`;
  const unlock = acquireLock(lock);
  try {
    return await downloadLocked(opts);
  } finally {
    unlock();
  }
}

async function downloadLocked(opts: DownloadOptions): Promise<DownloadResult> {
  const { url, dest, signal } = opts;
  const part = `${dest}.part`;
  const shown = (opts.partKey ?? url).split('?')[0]; // for messages: no signed CDN query strings
  const info: PartInfo = { url: opts.partKey ?? url, size: opts.expectedSize ?? null, sha256: opts.expectedSha256 ?? null };

  let have = await usablePart(part, info);
  if (have === 0) await rm(part, { force: true });
  await writeFile(`${part}.json`, JSON.stringify(info));

  // An idle timer aborts a stalled connection; the caller's signal aborts everything.
  const idle = new AbortController();
  const fetchSignal = signal ? AbortSignal.any([signal, idle.signal]) : idle.signal;
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  let idleTimer: NodeJS.Timeout | undefined;
  const kick = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs / 1000} s`)), idleMs);
  };

  let total = opts.expectedSize;
  let resumedFrom = 0;
  let received = 0;
  const hash = createHash('sha256');
  let fh: FileHandle | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    const complete = total !== undefined && have === total;
    if (!complete) {
      kick();
      const headers: Record<string, string> = { ...opts.headers, 'accept-encoding': 'identity' };
      if (have > 0) headers.range = `bytes=${have}-`;
      let res: Response;
      try {
        res = await httpFetch(url, { headers, signal: fetchSignal, redirect: 'follow' }, opts.env);
      } catch (err) {
        if (signal?.aborted) throw err;
        throw new UserError(`cannot reach ${shown}: ${errText(err)}`, { cause: err });
      }
      if (res.status === 416 && have > 0) {
        // Our part is not a prefix the server agrees with: start over next time.
        await rm(part, { force: true });
        throw new UserError(`download of ${shown} could not resume (HTTP 416); the partial file was discarded, run again`);
      }
      if (res.status === 206) {
        const cr = contentRangeStart(res.headers.get('content-range'));
        if (!cr || cr.start !== have) {
          await rm(part, { force: true });
          throw new UserError(`download of ${shown}: server sent an unexpected range (${res.headers.get('content-range')}); the partial file was discarded, run again`);
        }
        total ??= cr.total;
        resumedFrom = have;
      } else if (res.status === 200) {
        have = 0; // the server ignored Range (or there was none): restart from zero
        const len = res.headers.get('content-length');
        if (total === undefined && len !== null && /^\d+$/.test(len)) total = Number(len);
      } else {
        throw httpStatusError(res.status, shown);
      }
      if (!res.body) throw new UserError(`download of ${shown}: empty response`);
      if (total !== undefined) await checkDiskSpace(path.dirname(dest), total - have);

      await hashPrefix(part, have, hash, signal);
      fh = await open(part, have > 0 ? 'a' : 'w');
      kick(); // hashing a large prefix must not count as idle time
      const meter = new ProgressMeter(have, total, resumedFrom, opts.onProgress);
      ticker = setInterval(() => meter.emit(have + received), PROGRESS_INTERVAL_MS);
      meter.emit(have);
      try {
        for await (const chunk of res.body) {
          kick();
          await fh.write(chunk);
          hash.update(chunk);
          received += chunk.byteLength;
        }
      } catch (err) {
        if (signal?.aborted) throw signal.reason ?? err;
        const why = idle.signal.aborted ? errText(idle.signal.reason) : errText(err);
        throw new UserError(
          `download interrupted at ${mb(have + received)}${total ? ` of ${mb(total)}` : ''} (${why}); run the same command again to resume`,
          { cause: err },
        );
      }
      meter.emit(have + received);
      await fh.close();
      fh = undefined;
    } else {
      await hashPrefix(part, have, hash, signal);
    }

    // A dropped connection surfaces as an error inside the loop above (the body is shorter than
    // its Content-Length). Reaching here means the server sent a whole file: any size mismatch
    // is a bad file, not an interruption.
    const size = await fileSize(part);
    const sha256 = hash.digest('hex');
    const problems: string[] = [];
    if (total !== undefined && size !== total) problems.push(`size ${size} bytes, expected ${total}`);
    if (opts.expectedSha256 && sha256 !== opts.expectedSha256) problems.push(`sha256 ${sha256}, expected ${opts.expectedSha256}`);
    if (problems.length > 0) {
      await discard(part);
      throw new UserError(`downloaded file from ${shown} is corrupt (${problems.join('; ')}); it was deleted, run again to retry`);
    }
    if (opts.validate) {
      try {
        await opts.validate(part);
      } catch (err) {
        await discard(part);
        throw err;
      }
    }
    commitFiles([{ temp: part, final: dest }]); // flushed before the rename
    await rm(`${part}.json`, { force: true });
    return { path: dest, size, sha256, bytesTransferred: received, resumedFrom };
  } finally {
    clearTimeout(idleTimer);
    clearInterval(ticker);
    await fh?.close().catch(() => undefined);
  }
}

/** Turns byte counts sampled on a timer into progress events with a smoothed speed and ETA. */
class ProgressMeter {
  private speed = 0;
  private lastBytes: number;
  private lastTime = Date.now();
  constructor(
    start: number,
    private readonly total: number | undefined,
    private readonly resumedFrom: number,
    private readonly onProgress: ((p: DownloadProgress) => void) | undefined,
  ) {
    this.lastBytes = start;
  }

  emit(bytes: number): void {
    const now = Date.now();
    const dt = (now - this.lastTime) / 1000;
    if (dt > 0) {
      const instant = (bytes - this.lastBytes) / dt;
      this.speed = this.speed === 0 ? instant : 0.8 * this.speed + 0.2 * instant;
      this.lastBytes = bytes;
      this.lastTime = now;
    }
    const { total, speed } = this;
    const etaSeconds = total !== undefined && speed > 0 ? Math.max(0, (total - bytes) / speed) : undefined;
    this.onProgress?.({ bytes, total, bytesPerSecond: speed, etaSeconds, resumedFrom: this.resumedFrom });
  }
}

async function discard(part: string): Promise<void> {
  await rm(part, { force: true });
  await rm(`${part}.json`, { force: true });
}

function errText(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
