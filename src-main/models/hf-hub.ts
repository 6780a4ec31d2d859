import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { httpFetch } from './http.ts';

/**
 * Hugging Face Hub conventions, as implemented by Python's huggingface_hub (constants.py,
 * file_download.py), so Heirloom behaves like the tools its users already know:
 * - `HF_ENDPOINT` replaces https://huggingface.co (mirrors);
 * - `HF_HUB_OFFLINE` = 1/ON/YES/TRUE: never touch the network;
 * - cache `HF_HUB_CACHE` (or legacy `HUGGINGFACE_HUB_CACHE`), else `$HF_HOME/hub`, else
 *   `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`, laid out as
 *   `models--{owner}--{name}/{refs/<revision>, snapshots/<commit>/<file>, blobs/<etag>}`;
 * - LFS files: the resolve URL answers with a redirect to a CDN plus `X-Linked-Etag` (the
 *   file's sha256) and `X-Linked-Size`; `X-Repo-Commit` gives the commit.
 */

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

export function hfEndpoint(env: Env = process.env): string {
  return (nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
}

/**
 * `Authorization` for requests to the Hub itself when the user has a token (`HF_TOKEN`, or the
 * legacy `HUGGING_FACE_HUB_TOKEN`): gated or private models and some mirrors need it. Never sent
 * to other hosts (the CDN's signed URLs need none; fetch drops it on cross-origin redirects).
 */
export function hfAuthHeaders(url: string, env: Env = process.env): Record<string, string> {
  const token = nonEmpty(env.HF_TOKEN) ?? nonEmpty(env.HUGGING_FACE_HUB_TOKEN);
  if (token === undefined || new URL(url).origin !== new URL(hfEndpoint(env)).origin) return {};
  return { authorization: `Bearer ${token}` };
}

export function hfOffline(env: Env = process.env): boolean {
  const v = nonEmpty(env.HF_HUB_OFFLINE)?.toUpperCase();
  return v === '1' || v === 'ON' || v === 'YES' || v === 'TRUE';
}

export function hfHubCacheDir(env: Env = process.env): string {
  const explicit = nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE);
  if (explicit) return path.resolve(explicit);
  const hfHome =
    nonEmpty(env.HF_HOME) ?? path.join(nonEmpty(env.XDG_CACHE_HOME) ?? path.join(homedir(), '.cache'), 'huggingface');
  return path.join(path.resolve(hfHome), 'hub');
}

/** `models--owner--name`, the repo's folder in the hub cache. */
export function hfRepoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

/** `{endpoint}/{repo}/resolve/{revision}/{file}`, URL-encoded like hf_hub_url. */
export function hfFileUrl(repo: string, revision: string, file: string, env: Env = process.env): string {
  const encodedFile = file.split('/').map(encodeURIComponent).join('/');
  return `${hfEndpoint(env)}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedFile}`;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile(); // follows the snapshot -> blob symlink
  } catch {
    return false;
  }
}

/**
 * The cached copy of `file` from `repo` in the hub cache, or undefined. Prefers the snapshot
 * that `refs/<revision>` points to (or the revision itself when it is a commit hash); falls back
 * to the newest snapshot holding the file (an older revision is still the same published model).
 */
export function findInHfCache(repo: string, revision: string, file: string, env: Env = process.env): string | undefined {
  const repoDir = path.join(hfHubCacheDir(env), hfRepoFolderName(repo));
  const snapshots = path.join(repoDir, 'snapshots');
  if (!existsSync(snapshots)) return undefined;
  let commit: string | undefined;
  if (/^[0-9a-f]{40}$/.test(revision)) commit = revision;
  else {
    try {
      commit = readFileSync(path.join(repoDir, 'refs', revision), 'utf8').trim();
    } catch {
      commit = undefined;
    }
  }
  if (commit && /^[0-9a-f]{40}$/.test(commit)) {
    const p = path.join(snapshots, commit, file);
    if (isFile(p)) return p;
  }
  let best: { p: string; mtime: number } | undefined;
  for (const dir of readdirSync(snapshots)) {
    const p = path.join(snapshots, dir, file);
    if (!isFile(p)) continue;
    const mtime = statSync(path.join(snapshots, dir)).mtimeMs;
    if (!best || mtime > best.mtime) best = { p, mtime };
  }
  return best?.p;
}

/** What the Hub announces about a file before we download it. */
export interface HfFileMetadata {
  /** Where to GET the bytes (the CDN after the Hub's redirect, or the resolve URL itself). */
  location: string;
  /** Exact size in bytes, when announced. */
  size: number | undefined;
  /** sha256 (lowercase hex) when the etag is one (LFS files); git sha1 etags are ignored. */
  sha256: string | undefined;
  commit: string | undefined;
}

/** Strips `W/` and quotes, as huggingface_hub's _normalize_etag does. */
export function normalizeEtag(etag: string | null): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

function describeStatus(status: number, url: string): string {
  if (status === 404) return `not found at ${url} (HTTP 404): check HF_ENDPOINT and the model's repo and file name`;
  if (status === 401 || status === 403) return `access denied by ${url} (HTTP ${status}); if the model needs an account, set HF_TOKEN to a Hugging Face access token`;
  return `server error from ${url} (HTTP ${status})`;
}

export function httpStatusError(status: number, url: string): UserError {
  return new UserError(`download failed: ${describeStatus(status, url)}`);
}

/**
 * HEAD the resolve URL without following the CDN redirect (the metadata lives on the Hub's own
 * response), following only same-host redirects (renamed repos), like huggingface_hub.
 */
export async function fetchHfFileMetadata(url: string, signal?: AbortSignal, env: Env = process.env): Promise<HfFileMetadata> {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const res = await headWithRetry(current, signal, env);
    const h = res.headers;
    const location = h.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const target = new URL(location, current);
      if (target.host === new URL(current).host && !h.get('x-linked-etag')) {
        current = target.toString(); // relative or same-host redirect: a renamed repo
        continue;
      }
      return metadataFrom(h, target.toString(), true);
    }
    if (!res.ok) throw httpStatusError(res.status, current);
    return metadataFrom(h, current, false);
  }
  throw new UserError(`too many redirects from ${url}`);
}

/** HEAD once more after a network error: a pooled keep-alive socket may have gone stale. */
async function headWithRetry(url: string, signal: AbortSignal | undefined, env: Env): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await httpFetch(url, { method: 'HEAD', redirect: 'manual', headers: { 'accept-encoding': 'identity', ...hfAuthHeaders(url, env) }, signal }, env);
    } catch (err) {
      if (signal?.aborted) throw err;
      if (attempt === 0) continue;
      const cause = (err as Error).cause;
      throw new UserError(
        `cannot reach ${url}: ${cause instanceof Error ? cause.message : (err as Error).message}. ` +
          'Check the connection (behind a proxy: set HTTPS_PROXY; a mirror: HF_ENDPOINT), or import a copy you already have ("heirloom models import <file>", or Import in the app).',
        { cause: err },
      );
    }
  }
}

/** On a redirect only the X-Linked-* headers describe the file (the rest describe the redirect). */
function metadataFrom(h: Headers, location: string, redirected: boolean): HfFileMetadata {
  const etag = normalizeEtag(h.get('x-linked-etag') ?? (redirected ? null : h.get('etag')));
  const sizeText = h.get('x-linked-size') ?? (redirected ? null : h.get('content-length'));
  const size = sizeText !== null && /^\d+$/.test(sizeText) ? Number(sizeText) : undefined;
  return {
    location,
    size,
    sha256: etag && /^[0-9a-f]{64}$/i.test(etag) ? etag.toLowerCase() : undefined,
    commit: h.get('x-repo-commit') ?? undefined,
  };
}
