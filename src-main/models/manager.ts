import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { modelsDir } from '../util/app-paths.ts';
import { UserError } from '../util/errors.ts';
import { downloadFile, type DownloadProgress } from './download.ts';
import { hashMemoPath, rememberSha256 } from '../util/file-hash.ts';
import { fsyncFile } from '../util/atomic-file.ts';
import { fetchHfFileMetadata, findInHfCache, hfAuthHeaders, hfFileUrl, hfHubCacheDir, hfOffline } from './hf-hub.ts';
import { DEFAULT_MODEL_ID, findModelSpec, knownModels, type ModelSpec } from './manifest.ts';
import { openSafetensors } from '../checkpoint/safetensors.ts';

/**
 * The model manager: finds, downloads and imports checkpoints.
 * Lookup order: `HEIRLOOM_MODEL` (an explicit file), Heirloom's models folder
 * (`<modelsDir>/<id>/<file>`), then the user's Hugging Face cache (reused in place, never copied).
 */

type Env = Readonly<Record<string, string | undefined>>;

export interface ManagerOptions {
  /** Environment to read HEIRLOOM_HOME / HF_* from (tests pass their own). */
  env?: Env;
}

export type ModelSource = 'env' | 'heirloom' | 'hf-cache';

export interface ModelLocation {
  path: string;
  source: ModelSource;
}

/**
 * Checks a checkpoint file against the architecture it is for: every tensor's name, shape and
 * dtype, the check the engine runs before a build (worker/inference/build.ts, run by the
 * inference process, which the main process may not import). Throws a UserError listing what
 * does not match; `label` names the file for the user.
 */
export type ArchitectureCheck = (file: string, label: string) => Promise<void>;

export interface InstallResult extends ModelLocation {
  /** Known for downloads and imports; undefined when an existing file was reused. */
  sha256?: string;
  /** Whether the file is the published checkpoint (manifest sha256); null when the manifest has none. */
  published?: boolean | null;
  size: number;
  /** True when this call downloaded or copied bytes. */
  changed: boolean;
  bytesTransferred: number;
}

function specFor(id: string): ModelSpec {
  const spec = findModelSpec(id);
  if (!spec) {
    throw new UserError(`unknown model "${id}" (known: ${knownModels().map((m) => m.id).join(', ')})`);
  }
  return spec;
}

/** Where Heirloom installs `spec` (whether or not it is there). */
export function installedPath(spec: ModelSpec, env: Env = process.env): string {
  return path.join(modelsDir(env), spec.id, spec.file);
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The checkpoint to use for model `id`, or undefined when none is available locally. */
export function findModel(id: string = DEFAULT_MODEL_ID, opts: ManagerOptions = {}): ModelLocation | undefined {
  const env = opts.env ?? process.env;
  const spec = specFor(id);
  const explicit = env.HEIRLOOM_MODEL?.trim();
  if (explicit) {
    if (!isFile(explicit)) throw new UserError(`HEIRLOOM_MODEL points to ${explicit}, which is not a file`);
    return { path: path.resolve(explicit), source: 'env' };
  }
  const own = installedPath(spec, env);
  if (isFile(own)) return { path: own, source: 'heirloom' };
  const cached = findInHfCache(spec.repo, spec.revision, spec.file, env);
  if (cached) return { path: cached, source: 'hf-cache' };
  return undefined;
}

/** The message every "no model" error carries. */
export function howToInstall(spec: ModelSpec, env: Env = process.env): string {
  return (
    `no ${spec.name} checkpoint found (looked in ${installedPath(spec, env)} and the Hugging Face cache ` +
    `${hfHubCacheDir(env)}). Run "heirloom models install" to download it ` +
    `(about ${Math.round(spec.approxBytes / 1e6)} MB from huggingface.co/${spec.repo}), or ` +
    `"heirloom models import <file>" to use a ${spec.file} you already have.`
  );
}

/** Path of the checkpoint for `id`; throws a UserError explaining how to install one. */
export async function resolveModel(id: string = DEFAULT_MODEL_ID, opts: ManagerOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const found = findModel(id, opts);
  if (!found) throw new UserError(howToInstall(specFor(id), env));
  return found.path;
}

/** Checks that `file` is a safetensors file holding `spec`'s networks. */
export async function validateCheckpoint(file: string, spec: ModelSpec): Promise<void> {
  const st = await openSafetensors(file);
  try {
    const names = st.list().map((t) => t.name);
    const missing = spec.requiredPrefixes.filter((p) => !names.some((n) => n.startsWith(p)));
    if (missing.length > 0) {
      throw new UserError(
        `${file} is a safetensors file but not a ${spec.name} checkpoint: no tensors named ${missing.map((p) => `${p}*`).join(' or ')}`,
      );
    }
  } finally {
    await st.close();
  }
}

export interface InstallOptions extends ManagerOptions {
  id?: string;
  /** Run on the downloaded file before it replaces anything (see ArchitectureCheck). */
  checkArchitecture: ArchitectureCheck;
  /** What the server announces for the file (size and sha256), before the download starts. */
  onAnnounce?: (a: { size: number | undefined; sha256: string | undefined }) => void;
  /** Download even when a usable copy exists (Heirloom folder or HF cache). */
  force?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

/**
 * Makes model `id` available: reuses a local copy unless `force`, else downloads it (resuming a
 * previous partial download) from HF_ENDPOINT, verifying size and sha256.
 */
export async function installModel(opts: InstallOptions): Promise<InstallResult> {
  const env = opts.env ?? process.env;
  const spec = specFor(opts.id ?? DEFAULT_MODEL_ID);
  if (!opts.force) {
    const existing = findModel(spec.id, { env });
    if (existing) return { ...existing, size: statSync(existing.path).size, changed: false, bytesTransferred: 0 };
  }
  if (hfOffline(env)) {
    if (opts.force) throw new UserError(`HF_HUB_OFFLINE is set, so ${spec.id} cannot be downloaded again (--force); unset it to download`);
    throw new UserError(
      `HF_HUB_OFFLINE is set, so the ${spec.name} checkpoint cannot be downloaded, and there is no local copy ` +
        `(looked in ${installedPath(spec, env)} and the Hugging Face cache ${hfHubCacheDir(env)}). ` +
        `Unset HF_HUB_OFFLINE and run "heirloom models install", or run "heirloom models import <file>".`,
    );
  }
  const url = hfFileUrl(spec.repo, spec.revision, spec.file, env);
  const meta = await fetchHfFileMetadata(url, opts.signal, env);
  opts.onAnnounce?.({ size: meta.size, sha256: meta.sha256 });
  if (spec.size !== null && meta.size !== undefined && spec.size !== meta.size) {
    throw new UserError(`${url} now serves a different file (${meta.size} bytes) than this version of Heirloom expects (${spec.size} bytes)`);
  }
  if (spec.sha256 && meta.sha256 && spec.sha256 !== meta.sha256) {
    throw new UserError(
      `${url} now serves a different file (sha256 ${meta.sha256}) than this version of Heirloom expects (${spec.sha256})`,
    );
  }
  const dest = installedPath(spec, env);
  const result = await downloadFile({
    url: meta.location,
    partKey: url,
    dest,
    expectedSize: spec.size ?? meta.size,
    expectedSha256: spec.sha256 ?? meta.sha256,
    headers: hfAuthHeaders(meta.location, env),
    env,
    onProgress: opts.onProgress,
    signal: opts.signal,
    validate: async (part) => {
      await validateCheckpoint(part, spec);
      await opts.checkArchitecture(part, `the downloaded ${spec.file}`);
    },
  });
  await rememberSha256(result.path, result.sha256, { memoFile: hashMemoPath(env) });
  return {
    path: result.path,
    source: 'heirloom',
    sha256: result.sha256,
    size: result.size,
    changed: true,
    bytesTransferred: result.bytesTransferred,
    published: spec.sha256 === null ? null : result.sha256 === spec.sha256,
  };
}

export interface ImportOptions extends ManagerOptions {
  id?: string;
  signal?: AbortSignal;
  /** Run on the copy before it replaces the installed model (see ArchitectureCheck). */
  checkArchitecture: ArchitectureCheck;
}

/**
 * Copies a local checkpoint into Heirloom's models folder (never moves it: the user's file is
 * left untouched). The copy is checked against the architecture (every tensor) and only then
 * renamed over the installed model, so a failed import leaves the installed model as it was.
 */
export async function importModel(file: string, opts: ImportOptions): Promise<InstallResult> {
  const env = opts.env ?? process.env;
  const spec = specFor(opts.id ?? DEFAULT_MODEL_ID);
  const src = path.resolve(file);
  let size: number;
  try {
    const st = await stat(src);
    if (!st.isFile()) throw new UserError(`${src} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot import ${src}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message}`);
  }
  await validateCheckpoint(src, spec);
  const dest = installedPath(spec, env);
  if (existsSync(dest) && (await realpath(dest)) === (await realpath(src))) {
    throw new UserError(`${src} is already the installed checkpoint`);
  }
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.import-${process.pid}-${Date.now()}`;
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(src, { highWaterMark: 1 << 20 }), tap, createWriteStream(tmp), { signal: opts.signal });
    const copied = (await stat(tmp)).size;
    if (copied !== size) throw new UserError(`copy of ${src} is ${copied} bytes, expected ${size} (disk full?)`);
    // The copy is what gets installed, so the copy is what is checked.
    await opts.checkArchitecture(tmp, path.basename(src));
    fsyncFile(tmp);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const sha256 = hash.digest('hex');
  await rememberSha256(dest, sha256, { memoFile: hashMemoPath(env) });
  const published = spec.sha256 === null ? null : sha256 === spec.sha256;
  return { path: dest, source: 'heirloom', sha256, size, changed: true, bytesTransferred: size, published };
}

export interface ModelStatus {
  spec: ModelSpec;
  /** Where the usable copy is, if any. */
  location: ModelLocation | undefined;
  /** Size on disk of that copy. */
  size: number | undefined;
  /** Bytes of an unfinished download waiting to be resumed. */
  partialBytes: number;
}

/** Every known model and whether (and where) it is available. */
export function listModels(opts: ManagerOptions = {}): ModelStatus[] {
  const env = opts.env ?? process.env;
  return knownModels().map((spec) => {
    const location = findModel(spec.id, { env });
    let partialBytes = 0;
    try {
      partialBytes = statSync(`${installedPath(spec, env)}.part`).size;
    } catch {
      partialBytes = 0;
    }
    return { spec, location, size: location ? statSync(location.path).size : undefined, partialBytes };
  });
}
