/**
 * An ONNX Runtime session with an execution-provider choice and a clean CPU fallback, shaped
 * like onnxruntime's own backend: private native handle, static async `create()`, `run()`,
 * `dispose()`.
 *
 * `auto` tries the GPU providers onnxruntime-node offers on this platform in the order of
 * PLATFORM_GPUS (ARCHITECTURE.md says why), then the CPU; a software WebGPU adapter is skipped.
 * An explicit GPU choice that fails to load falls back to the CPU too; the reason is kept in
 * `fallbackReason` so callers report it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Device } from '../../../src-shared/settings.ts';
import { UserError } from '../../util/errors.ts';
import { webgpuAdapter, type GpuAdapter } from './gpu-adapter.ts';

export type ExecutionProvider = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';

export interface SessionOptions {
  device: Device;
  /** CPU threads for one operator (default: every core). */
  threads?: number;
  /**
   * A GPU session profiles its runs to files starting with this path until `endProfiling()`
   * (the self-check learns from it which provider each node ran on).
   */
  profilePrefix?: string;
}

export interface Backend {
  name: string;
  bundled: boolean;
}

/** Backends this onnxruntime-node build knows (1.30 has `listSupportedBackends`). */
export function supportedBackends(): Backend[] {
  const list = (ort as { listSupportedBackends?: () => Backend[] }).listSupportedBackends;
  return typeof list === 'function' ? list() : [{ name: 'cpu', bundled: true }];
}

/** Whether a non-bundled provider's shared library was installed next to the binding. */
export function providerLibraryPresent(ep: ExecutionProvider): boolean {
  try {
    const require = createRequire(import.meta.url);
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? `onnxruntime_providers_${ep}.dll` : `libonnxruntime_providers_${ep}.so`;
    return existsSync(path.join(dir, lib));
  } catch {
    return false;
  }
}

/**
 * GPU providers `auto` tries, best first. CUDA only runs when its libraries load (NVIDIA +
 * CUDA 12 + cuDNN) and is then the fastest on NVIDIA; WebGPU ships inside onnxruntime-node,
 * runs on every vendor's GPU and is the GPU path CI verifies (on software Vulkan); DirectML and
 * CoreML come after it as they have never been verified here (CoreML also splits the graph).
 */
export const PLATFORM_GPUS: Record<string, ExecutionProvider[]> = {
  linux: ['cuda', 'webgpu'],
  win32: ['cuda', 'webgpu', 'dml'],
  darwin: ['webgpu', 'coreml'],
};

/**
 * The providers to try for `device`, in order (CPU always last), and why others were skipped.
 * Pure apart from the backend list and file checks it is given.
 */
export function providerPlan(
  device: Device,
  platform: NodeJS.Platform = process.platform,
  backends: Backend[] = supportedBackends(),
  libraryPresent: (ep: ExecutionProvider) => boolean = providerLibraryPresent,
  adapter: () => GpuAdapter = () => webgpuAdapter(platform),
): { order: ExecutionProvider[]; skipped: string[] } {
  if (device === 'cpu') return { order: ['cpu'], skipped: [] };
  const skipped: string[] = [];
  const offered = (ep: ExecutionProvider): boolean => {
    const b = backends.find((x) => x.name === ep);
    if (b === undefined) {
      skipped.push(`${ep}: not offered by this onnxruntime-node build on ${platform}`);
      return false;
    }
    if (!b.bundled && !libraryPresent(ep)) {
      skipped.push(`${ep}: its provider library is not installed (onnxruntime-node downloads it when it is installed with network access, unless ONNXRUNTIME_NODE_INSTALL=skip; reinstall it to use the GPU)`);
      return false;
    }
    return true;
  };
  // A software adapter (lavapipe, SwiftShader) runs on the CPU, slower than the CPU provider.
  const notSoftware = (ep: ExecutionProvider): boolean => {
    if (ep !== 'webgpu') return true;
    const a = adapter();
    if (a.software === true) skipped.push(`webgpu: the only adapter is a software one (${a.name}), slower than the CPU provider`);
    return a.software !== true;
  };
  if (device === 'auto') return { order: [...(PLATFORM_GPUS[platform] ?? []).filter((ep) => offered(ep) && notSoftware(ep)), 'cpu'], skipped };
  // An explicit GPU this build does not offer is skipped (onnxruntime would silently drop it);
  // one whose library seems missing is still attempted: its load error says more.
  if (!backends.some((b) => b.name === device)) {
    skipped.push(`${device}: not offered by this onnxruntime-node build on ${platform}`);
    return { order: ['cpu'], skipped };
  }
  return { order: [device, 'cpu'], skipped };
}

function sessionOptions(ep: ExecutionProvider, threads: number, profilePrefix?: string): ort.InferenceSession.SessionOptions {
  const profile = ep !== 'cpu' && profilePrefix !== undefined ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {};
  const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, ...profile };
  // GPU providers leave the nodes they cannot run to the CPU provider.
  const options: ort.InferenceSession.SessionOptions = { ...base, executionProviders: ep === 'cpu' ? ['cpu'] : [ep, 'cpu'] };
  // DirectML supports neither memory patterns nor parallel execution.
  if (ep === 'dml') return { ...options, enableMemPattern: false, executionMode: 'sequential' };
  // onnxruntime turns memory patterns off for WebGPU itself; say so rather than be told.
  if (ep === 'webgpu') return { ...options, enableMemPattern: false };
  return options;
}

/**
 * The first line of onnxruntime's error without its source location and assertion text, and
 * what to do where that is known.
 */
export function errorReason(err: unknown): string {
  const line = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  const i = line.lastIndexOf(' was false. ');
  const reason = i >= 0 ? line.slice(i + ' was false. '.length) : line;
  return /No supported adapters/.test(reason) ? `${reason}: no GPU with a WebGPU-capable driver was found (on Linux, install the GPU's Vulkan driver)` : reason;
}

export class OrtSession {
  #session: ort.InferenceSession;

  private constructor(
    session: ort.InferenceSession,
    readonly modelPath: string,
    /** The provider the session runs on. */
    readonly provider: ExecutionProvider,
    /** Why a preferred GPU provider is not used (undefined when none was wanted or it loaded). */
    readonly fallbackReason: string | undefined,
  ) {
    this.#session = session;
  }

  static async create(modelPath: string, options: SessionOptions): Promise<OrtSession> {
    const threads = options.threads ?? Math.max(1, os.availableParallelism());
    const { order, skipped } = providerPlan(options.device);
    const failures = [...skipped];
    for (const ep of order) {
      try {
        const session = await ort.InferenceSession.create(modelPath, sessionOptions(ep, threads, options.profilePrefix));
        const reason = ep === 'cpu' && options.device !== 'cpu' && failures.length > 0 ? failures.join('; ') : undefined;
        return new OrtSession(session, modelPath, ep, reason);
      } catch (err) {
        const msg = errorReason(err);
        if (ep === 'cpu') throw new ModelLoadError(modelPath, msg, err);
        failures.push(`${ep}: failed to load (${msg})`);
      }
    }
    throw new Error('unreachable: the provider plan always ends with cpu');
  }

  get inputNames(): readonly string[] {
    return this.#session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.#session.outputNames;
  }

  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const out = await this.#session.run(feeds);
    const result: Record<string, ort.Tensor> = {};
    for (const [name, value] of Object.entries(out)) result[name] = value as ort.Tensor;
    return result;
  }

  /** Runs and returns one float32 output's data. */
  async runFloat(feeds: Record<string, ort.Tensor>, output: string): Promise<Float32Array> {
    const out = await this.run(feeds);
    const t = out[output];
    if (t === undefined || t.type !== 'float32') throw new Error(`${this.modelPath}: no float32 output "${output}"`);
    return t.data as Float32Array;
  }

  /** Stops profiling (a no-op for a session created without `profilePrefix`). */
  endProfiling(): void {
    this.#session.endProfiling();
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}

/** A model file that onnxruntime cannot load even on the CPU (corrupt or incompatible build). */
export class ModelLoadError extends UserError {
  constructor(
    readonly modelPath: string,
    reason: string,
    cause: unknown,
  ) {
    super(`cannot load ${modelPath}: ${reason}`, { cause });
    this.name = 'ModelLoadError';
  }
}

/** Float32 tensor helper. */
export function f32Tensor(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}
