/**
 * Builds PMRF's two ONNX networks (`swinir.onnx`, `hdit.onnx`, each with an external weights
 * file) from a checkpoint, into a cache folder keyed by the checkpoint's content hash and the
 * build options. A build is written to a temporary folder and renamed into place, so a crash
 * never leaves a half-built entry; an entry with missing or wrong-sized files is rebuilt.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArchConfig } from './arch.ts';
import { buildHdit, hditTensors } from './hdit.ts';
import { ExternalWeightsFile, GraphBuilder } from './onnx/graph.ts';
import { buildSwinir, swinirTensors } from './swinir.ts';
import { CheckpointWeights } from './weights.ts';
import { checkpointIdentity } from '../../checkpoint/identity.ts';
import { openVectorsCheckpoint } from '../../checkpoint/formula.ts';
import { openSafetensors } from '../../checkpoint/safetensors.ts';
import type { TensorSource } from '../../checkpoint/tensor-source.ts';

/** Bump when the builders' output changes: old cache entries are then ignored. */
export const BUILDER_VERSION = 2;

export type Precision = 'fp32' | 'fp16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16'];

export const NETWORKS = ['swinir', 'hdit'] as const;
export type NetworkName = (typeof NETWORKS)[number];

/** A checkpoint identified by content, opened only when a build is needed. */
export interface CheckpointRef {
  /** Content identity (sha256 of the checkpoint file or files). */
  id: string;
  /** For messages: the path the user gave. */
  label: string;
  open(): Promise<TensorSource>;
}

/** A checkpoint path: a vectors folder or a safetensors file. */
export async function checkpointRef(p: string): Promise<CheckpointRef> {
  const id = await checkpointIdentity(p);
  const isFolder = statSync(p).isDirectory();
  return { id, label: p, open: () => (isFolder ? openVectorsCheckpoint(p) : openSafetensors(p)) };
}

/**
 * What the graphs are shaped for: 'webgpu' works around what onnxruntime's WebGPU kernels get
 * wrong (WEBGPU_KEEP_FLOAT32); 'generic' is the graph every other provider runs.
 */
export type BuildTarget = 'generic' | 'webgpu';

/**
 * float16 builds for WebGPU: its MatMul and Conv kernels accumulate in float16, which took the
 * tiny vectors' restored error from the CPU's 8.9e-3 to 6.8e-2 (SwinIR: Conv; HDiT: MatMul).
 * These run in float32 there, with the Adds and Muls between them (bias, residual, scale) so the
 * chain is not rounded to float16 in between: 1.5e-2 (measurements in ARCHITECTURE.md).
 */
export const WEBGPU_KEEP_FLOAT32 = ['MatMul', 'Conv', 'Add', 'Mul'] as const;

/**
 * onnxruntime 1.30's WebGPU Conv (on Mesa lavapipe; whether its shader or the driver is at fault
 * is not known) is wrong for some input channel counts that are not a multiple of 4 (30 or 6 or 9
 * channels into 4k outputs: max |err| 0.3, SwinIR's output off by 0.58 with a 30-channel SwinIR),
 * right for every multiple of 4 tried: WebGPU graphs pad Conv inputs to one.
 */
export const WEBGPU_CONV_CHANNEL_MULTIPLE = 4;

export interface BuildOptions {
  arch: ArchConfig;
  imageSize: number;
  precision: Precision;
  /** Default 'generic'. */
  target?: BuildTarget;
  /** Root of the build cache (entries go to `<cacheDir>/pmrf-onnx/<key>`). */
  cacheDir: string;
  onStatus?: (message: string) => void;
}

export interface BuiltModels {
  dir: string;
  /** Path of each network's .onnx file. */
  files: Record<NetworkName, string>;
  /** True when an existing cache entry was used. */
  reused: boolean;
}

interface Manifest {
  version: number;
  key: string;
  /** Byte size of every file of the entry. */
  files: Record<string, number>;
  checkpoint: string;
  options: { imageSize: number; precision: Precision };
  buildSeconds: number;
}

let fingerprint: string | undefined;
/**
 * Content hash of the graph builders' sources when they are on disk (a checkout), so an edited
 * builder never reuses a stale entry. A packaged app has no sources: BUILDER_VERSION decides.
 */
function builderFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const hash = createHash('sha256');
  try {
    for (const sub of ['.', 'onnx']) {
      const files = readdirSync(path.join(dir, sub)).filter((f) => f.endsWith('.ts')).sort();
      for (const f of files) hash.update(`${sub}/${f}\n`).update(readFileSync(path.join(dir, sub, f)));
    }
    fingerprint = hash.digest('hex').slice(0, 16);
  } catch {
    fingerprint = 'packaged';
  }
  return fingerprint;
}

/** The cache key: checkpoint content + everything that changes the built graphs. */
export function cacheKey(ref: CheckpointRef, opts: Pick<BuildOptions, 'arch' | 'imageSize' | 'precision' | 'target'>): string {
  const target = opts.target ?? 'generic';
  const options = JSON.stringify({ v: BUILDER_VERSION, src: builderFingerprint(), arch: opts.arch, size: opts.imageSize, precision: opts.precision, ...(target === 'generic' ? {} : { target }) });
  return createHash('sha256').update(`${ref.id}\n${options}`).digest('hex').slice(0, 32);
}

function entryFiles(dir: string): Record<NetworkName, string> {
  return { swinir: path.join(dir, 'swinir.onnx'), hdit: path.join(dir, 'hdit.onnx') };
}

/** Checks an entry's manifest against its files; a stale or damaged entry is not valid. */
export async function entryIsValid(dir: string, key: string): Promise<boolean> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return false;
  }
  if (manifest.version !== BUILDER_VERSION || manifest.key !== key || typeof manifest.files !== 'object' || manifest.files === null) return false;
  const names = Object.keys(manifest.files);
  if (!NETWORKS.every((n) => names.includes(`${n}.onnx`))) return false;
  return names.every((name) => {
    try {
      return statSync(path.join(dir, name)).size === manifest.files[name];
    } catch {
      return false;
    }
  });
}

/** Removes a cache entry (e.g. after onnxruntime failed to load it). */
export async function removeEntry(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Entries kept in the cache (a full fp32 build is ~700 MB): the most recently used ones. */
export const CACHE_KEEP = 3;
const STALE_TMP_MS = 24 * 3600 * 1000;

/**
 * Deletes all but the CACHE_KEEP most recently used entries (never `keep`), and temporary
 * folders of builds that crashed a day ago or more. Failures are ignored: it is only a cache.
 */
export async function pruneCache(root: string, keep: string): Promise<void> {
  const entries: { dir: string; used: number }[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const dir = path.join(root, name);
    if (dir === keep) continue;
    if (name.startsWith('.tmp-')) {
      const st = await stat(dir).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_TMP_MS) await removeEntry(dir).catch(() => {});
      continue;
    }
    const st = await stat(path.join(dir, 'manifest.json')).catch(() => undefined);
    entries.push({ dir, used: st?.mtimeMs ?? 0 });
  }
  entries.sort((a, b) => b.used - a.used);
  for (const e of entries.slice(CACHE_KEEP - 1)) await removeEntry(e.dir).catch(() => {});
}

/** Writes one network: graph + external weights, in `dir`. Returns the files' sizes. */
async function buildNetwork(dir: string, name: NetworkName, floatType: 'float32' | 'float16', target: BuildTarget, define: (g: GraphBuilder) => Promise<void>): Promise<Record<string, number>> {
  const weightsName = `${name}.weights`;
  const weights = new ExternalWeightsFile(path.join(dir, weightsName), weightsName);
  let bytes: Uint8Array;
  try {
    const g = new GraphBuilder({ name, floatType, weights, keepFloat32: target === 'webgpu' ? WEBGPU_KEEP_FLOAT32 : [], convChannelMultiple: target === 'webgpu' ? WEBGPU_CONV_CHANNEL_MULTIPLE : 1 });
    await define(g);
    bytes = g.encode({ producer: `heirloom pmrf builder v${BUILDER_VERSION}` });
  } finally {
    weights.close();
  }
  await writeFile(path.join(dir, `${name}.onnx`), bytes);
  return { [`${name}.onnx`]: bytes.byteLength, [weightsName]: weights.size };
}

/**
 * Every tensor both networks need (name, shape, dtype) checked against the checkpoint: the check
 * a build runs first, and `heirloom models import`/`install` before a file replaces the model.
 */
export function checkArchitecture(source: TensorSource, arch: ArchConfig, label: string): CheckpointWeights {
  return CheckpointWeights.check(source, [...swinirTensors(arch.swinir), ...hditTensors(arch.hdit)], label);
}

/**
 * Returns the cached networks for (checkpoint, options), building them when absent or damaged.
 * Every tensor of both networks is validated before anything is built (one error lists all).
 */
export async function buildModels(ref: CheckpointRef, opts: BuildOptions): Promise<BuiltModels> {
  const key = cacheKey(ref, opts);
  const root = path.join(opts.cacheDir, 'pmrf-onnx');
  const dir = path.join(root, key);
  if (await entryIsValid(dir, key)) {
    const now = new Date();
    await utimes(path.join(dir, 'manifest.json'), now, now).catch(() => {}); // most recently used
    return { dir, files: entryFiles(dir), reused: true };
  }

  const status = opts.onStatus ?? (() => {});
  const source = await ref.open();
  try {
    const weights = checkArchitecture(source, opts.arch, ref.label);
    await mkdir(root, { recursive: true });
    const tmp = path.join(root, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmp);
    try {
      const started = Date.now();
      const floatType = opts.precision === 'fp16' ? 'float16' : 'float32';
      status(`building SwinIR (${opts.precision}, ${opts.imageSize}px)`);
      const target = opts.target ?? 'generic';
      const swinir = await buildNetwork(tmp, 'swinir', floatType, target, (g) => buildSwinir(g, weights, opts.arch.swinir, opts.imageSize));
      status(`building HDiT (${opts.precision}, ${opts.imageSize}px)`);
      const hdit = await buildNetwork(tmp, 'hdit', floatType, target, (g) => buildHdit(g, weights, opts.arch.hdit, opts.imageSize));
      const manifest: Manifest = {
        version: BUILDER_VERSION,
        key,
        files: { ...swinir, ...hdit },
        checkpoint: ref.id,
        options: { imageSize: opts.imageSize, precision: opts.precision },
        buildSeconds: (Date.now() - started) / 1000,
      };
      await writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1));
      // Another process may have finished the same build meanwhile: keep its entry.
      if (await entryIsValid(dir, key)) return { dir, files: entryFiles(dir), reused: true };
      await removeEntry(dir); // a damaged entry in the way
      try {
        await rename(tmp, dir);
      } catch (err) {
        // Lost a race with another process's rename: use its entry when it is sound.
        if (!(await entryIsValid(dir, key))) throw err;
      }
      status(`built in ${manifest.buildSeconds.toFixed(1)} s`);
      await pruneCache(root, dir);
      return { dir, files: entryFiles(dir), reused: false };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  } finally {
    await source.close();
  }
}
