/**
 * The PMRF engine (shared/pmrf/SPEC.md): posterior mean m = clip(SwinIR(y), 0, 1), then the
 * rectified flow from x_0 = m + 0.1 z with K Euler steps x <- x + (1/K) HDiT(x, i/K), output
 * clip(x, 0, 1); other samplers (samplers.ts) spend the same K evaluations differently.
 * The two networks are built once per (checkpoint, options) and cached on disk.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { faceSeed } from '../../../src-shared/rules.ts';
import type { Device } from '../../../src-shared/settings.ts';
import type { ArchConfig } from './arch.ts';
import { buildModels, checkpointRef, removeEntry, type BuildTarget, type BuiltModels, type CheckpointRef, type Precision } from './build.ts';
import { gaussianNoise } from './noise.ts';
import { integrate, type SamplerName, type StepCorrection } from './samplers.ts';
import { f32Tensor, ModelLoadError, OrtSession, providerPlan, type ExecutionProvider } from './session.ts';
import { checkIdentity, trustGpu, type Trusted } from './gpu-trust.ts';
import { readCheck, type SelfCheck } from './self-check.ts';
import { recordPassTimes } from './pass-times.ts';
import { cacheDir as defaultCacheDir } from '../../util/app-paths.ts';
import { UserError } from '../../util/errors.ts';

/** Standard deviation of the noise added to the posterior mean (PMRF's sigma_s). */
export const MMSE_NOISE_STD = 0.1;

export interface EngineOptions {
  /** A safetensors checkpoint, a PMRF vectors folder, or an already identified checkpoint. */
  checkpoint: string | CheckpointRef;
  arch: ArchConfig;
  /** Side of the square faces the networks are built for (a multiple of 64). */
  imageSize: number;
  precision?: Precision;
  device?: Device;
  /** Root of the build cache (default: the app's cache folder). */
  cacheDir?: string;
  /** CPU threads per operator (default: every core). */
  threads?: number;
  onStatus?: (message: string) => void;
  /**
   * Check a GPU against the CPU before its first use with this model (default true;
   * self-check.ts). The parity check and the benchmarks turn it off: they measure the provider.
   */
  selfCheck?: boolean;
}

export interface FlowOptions {
  /** Network evaluations K >= 1 for the whole path ('flow' mode): Euler's steps. */
  steps: number;
  mode: 'flow' | 'mean';
  /** Default 'euler' (PMRF's). */
  sampler?: SamplerName;
  /**
   * Start time t0 in [0, 1) (default 0): the flow starts from m + (1 - t0) 0.1 z and spends
   * ceil(K (1 - t0)) evaluations.
   */
  start?: number;
  /** Added after each step (consistency guidance). */
  correction?: StepCorrection;
  /** Seed of face 0's noise; face i uses faceSeed(seed, i) unless `seeds` is given. */
  seed?: number;
  /** One seed per face (overrides `seed`). */
  seeds?: readonly number[];
  /** Injected noise z [n,3,S,S] (overrides seeds; used by the parity check). */
  noise?: Float32Array;
  signal?: AbortSignal;
  /** Called after each sampler step with the state x_step (do not keep a reference: copy). */
  onStep?: (step: number, total: number, x: Float32Array) => void;
}

export interface EngineResult {
  /** [n,3,S,S] in [0,1]: the flow output ('flow') or the posterior mean ('mean'). */
  restored: Float32Array;
  /** [n,3,S,S] in [0,1]: the posterior mean. */
  mean: Float32Array;
  /** HDiT evaluations this call made (0 in 'mean' mode). */
  evaluations: number;
}

export interface FlowResult {
  /** clip(x_K, 0, 1), [n,3,S,S]. */
  restored: Float32Array;
  /** HDiT evaluations made. */
  evaluations: number;
}

export function clip01(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] < 0 ? 0 : x[i] > 1 ? 1 : x[i];
  return out;
}

/**
 * Where the GPU sessions profile their first runs when a self-check will run (no verdict cached
 * for the provider tried first), else undefined.
 */
async function selfCheckProfile(opts: EngineOptions, built: BuiltModels, cacheDir: string): Promise<string | undefined> {
  if (opts.selfCheck === false) return undefined;
  const first = providerPlan(opts.device ?? 'auto').order[0];
  if (first === 'cpu' || (await readCheck(cacheDir, checkIdentity(built.dir, first))) !== undefined) return undefined;
  const dir = path.join(cacheDir, 'device-checks');
  await mkdir(dir, { recursive: true });
  return path.join(dir, `.profile-${process.pid}-`);
}

export class PmrfEngine {
  /** HDiT evaluations made since the engine was created (each counts once per batch call). */
  evaluations = 0;

  private constructor(
    private readonly swinir: OrtSession,
    private readonly hdit: OrtSession,
    readonly imageSize: number,
    readonly precision: Precision,
    readonly checkpointId: string,
    readonly built: BuiltModels,
    /** Why the GPU was set aside after its sessions loaded (self-check). */
    private readonly distrust: string | undefined,
    /** The GPU's self-check verdict, when a GPU was considered. */
    readonly selfCheck: SelfCheck | undefined,
  ) {}

  static async create(opts: EngineOptions): Promise<PmrfEngine> {
    const ref = typeof opts.checkpoint === 'string' ? await checkpointRef(opts.checkpoint) : opts.checkpoint;
    const precision = opts.precision ?? 'fp32';
    const sessionOpts = { device: opts.device ?? 'auto', threads: opts.threads };
    // Shaped for the provider that will be tried first (a fallback runs the same graph on the CPU).
    const target: BuildTarget = providerPlan(sessionOpts.device).order[0] === 'webgpu' ? 'webgpu' : 'generic';
    const cacheDir = opts.cacheDir ?? defaultCacheDir();
    const buildOpts = { arch: opts.arch, imageSize: opts.imageSize, precision, target, cacheDir, onStatus: opts.onStatus };
    let built = await buildModels(ref, buildOpts);
    for (let attempt = 0; ; attempt++) {
      let swinir: OrtSession | undefined;
      try {
        const profilePrefix = await selfCheckProfile(opts, built, cacheDir);
        swinir = await OrtSession.create(built.files.swinir, { ...sessionOpts, profilePrefix: profilePrefix && `${profilePrefix}swinir` });
        const hdit = await OrtSession.create(built.files.hdit, { ...sessionOpts, profilePrefix: profilePrefix && `${profilePrefix}hdit` });
        const trusted: Trusted =
          opts.selfCheck === false
            ? { networks: { swinir, hdit } }
            : await trustGpu({ swinir, hdit }, { files: built.files, buildDir: built.dir, device: sessionOpts.device, threads: opts.threads, imageSize: opts.imageSize, precision, cacheDir, profilePrefix, onStatus: opts.onStatus });
        if (trusted.fresh === true && trusted.check !== undefined) {
          // The check timed both devices: the first time-per-face estimates.
          const key = { arch: opts.arch, faceSize: opts.imageSize, precision };
          recordPassTimes(cacheDir, { ...key, provider: trusted.check.provider as ExecutionProvider }, trusted.check.seconds, 'self-check');
          recordPassTimes(cacheDir, { ...key, provider: 'cpu' }, trusted.check.cpuSeconds, 'self-check');
        }
        return new PmrfEngine(trusted.networks.swinir, trusted.networks.hdit, opts.imageSize, precision, ref.id, built, trusted.fallbackReason, trusted.check);
      } catch (err) {
        await swinir?.dispose();
        if (!(err instanceof ModelLoadError)) throw err;
        // A build onnxruntime cannot load is useless: drop it; a cached one is rebuilt once.
        if (!built.reused || attempt > 0) {
          await removeEntry(built.dir);
          throw err;
        }
        opts.onStatus?.(`cached build ${built.dir} failed to load (${err.message}); rebuilding`);
        await removeEntry(built.dir);
        built = await buildModels(ref, buildOpts);
      }
    }
  }

  /** The provider the networks run on. */
  get provider(): ExecutionProvider {
    return this.hdit.provider;
  }

  /** Why a GPU provider is not used, when one was wanted. */
  get fallbackReason(): string | undefined {
    const reasons = [this.hdit.fallbackReason, this.distrust].filter((r) => r !== undefined);
    return reasons.length > 0 ? reasons.join('; ') : undefined;
  }

  private dims(data: Float32Array, n: number, what: string): number[] {
    const S = this.imageSize;
    if (!Number.isInteger(n) || n < 1) throw new UserError(`${what}: batch size ${n} must be a positive integer`);
    if (data.length !== n * 3 * S * S) throw new UserError(`${what}: ${data.length} values, expected ${n}x3x${S}x${S}`);
    return [n, 3, S, S];
  }

  /** Seconds per face of the latest pass of each network (the first, warm-up pass only until another ran). */
  readonly #passSeconds = { swinir: { calls: 0, seconds: 0 }, hdit: { calls: 0, seconds: 0 } };

  async #timed(net: 'swinir' | 'hdit', n: number, run: () => Promise<Float32Array>): Promise<Float32Array> {
    const t0 = performance.now();
    const out = await run();
    const p = this.#passSeconds[net];
    p.calls++;
    p.seconds = (performance.now() - t0) / 1000 / n;
    return out;
  }

  /** Measured seconds per face per pass, once both networks ran; `warm` once neither is a first (warm-up) pass. */
  measuredPassSeconds(): { swinir: number; hdit: number; warm: boolean } | undefined {
    const { swinir, hdit } = this.#passSeconds;
    return swinir.calls > 0 && hdit.calls > 0 ? { swinir: swinir.seconds, hdit: hdit.seconds, warm: swinir.calls > 1 && hdit.calls > 1 } : undefined;
  }

  /** SwinIR(y) before clipping, [n,3,S,S]. */
  async runSwinir(y: Float32Array, n: number): Promise<Float32Array> {
    const dims = this.dims(y, n, 'SwinIR input');
    return this.#timed('swinir', n, () => this.swinir.runFloat({ y: f32Tensor(y, dims) }, 'mmse'));
  }

  /** The vector field HDiT(x, t), [n,3,S,S]; `t` is one time for all faces or one per face. */
  async runHdit(x: Float32Array, t: number | Float32Array, n: number): Promise<Float32Array> {
    const dims = this.dims(x, n, 'HDiT input');
    const times = typeof t === 'number' ? new Float32Array(n).fill(t) : t;
    if (times.length !== n) throw new UserError(`HDiT times: ${times.length} values for ${n} faces`);
    const v = await this.#timed('hdit', n, () => this.hdit.runFloat({ x: f32Tensor(x, dims), t: f32Tensor(times, [n]) }, 'v'));
    this.evaluations++;
    return v;
  }

  /** The flow's starting noise z for n faces (injected, or from per-face seeds). */
  private noiseFor(n: number, opts: Pick<FlowOptions, 'seed' | 'seeds' | 'noise'>): Float32Array {
    const per = 3 * this.imageSize * this.imageSize;
    if (opts.noise !== undefined) {
      if (opts.noise.length !== n * per) throw new UserError(`noise: ${opts.noise.length} values, expected ${n * per}`);
      return opts.noise;
    }
    if (opts.seeds !== undefined && opts.seeds.length !== n) throw new UserError(`seeds: ${opts.seeds.length} seeds for ${n} faces`);
    if (opts.seeds === undefined && opts.seed === undefined) throw new UserError('flow mode needs a seed, seeds or noise');
    const z = new Float32Array(n * per);
    for (let i = 0; i < n; i++) z.set(gaussianNoise(opts.seeds?.[i] ?? faceSeed(opts.seed as number, i), per), i * per);
    return z;
  }

  /** Restores n aligned faces [n,3,S,S] in [0,1]; the whole batch goes through each call. */
  async restoreFaces(faces: Float32Array, n: number, opts: FlowOptions): Promise<EngineResult> {
    this.dims(faces, n, 'faces');
    opts.signal?.throwIfAborted();
    const mean = clip01(await this.runSwinir(faces, n));
    if (opts.mode === 'mean') return { restored: mean, mean, evaluations: 0 };
    const flow = await this.flowFrom(mean, n, opts);
    return { restored: flow.restored, mean, evaluations: flow.evaluations };
  }

  /** Where the flow starts from the posterior mean m [n,3,S,S]: m + (1 - t0) 0.1 z. */
  flowStart(mean: Float32Array, n: number, opts: Pick<FlowOptions, 'start' | 'seed' | 'seeds' | 'noise'>): Float32Array {
    this.dims(mean, n, 'posterior mean');
    const start = opts.start ?? 0;
    if (!(start >= 0 && start < 1)) throw new UserError(`flow start ${start} must be in [0, 1)`);
    const z = this.noiseFor(n, opts);
    const x = new Float32Array(mean.length);
    // (1 - 0) * 0.1 is exactly 0.1: a start at 0 is PMRF's x_0 bit for bit.
    const std = (1 - start) * MMSE_NOISE_STD;
    for (let j = 0; j < x.length; j++) x[j] = mean[j] + std * z[j];
    return x;
  }

  /** The rectified flow from the posterior mean m [n,3,S,S]: clip(x_K, 0, 1). */
  async flowFrom(mean: Float32Array, n: number, opts: Omit<FlowOptions, 'mode'>): Promise<FlowResult> {
    const K = opts.steps;
    if (!Number.isInteger(K) || K < 1) throw new UserError(`flow steps ${K} must be an integer >= 1`);
    const start = opts.start ?? 0;
    const x = this.flowStart(mean, n, opts);
    const before = this.evaluations;
    await integrate(opts.sampler ?? 'euler', x, (state, t) => this.runHdit(state, t, n), {
      evaluations: K,
      start,
      correction: opts.correction,
      signal: opts.signal,
      onStep: opts.onStep,
    });
    return { restored: clip01(x), evaluations: this.evaluations - before };
  }

  async dispose(): Promise<void> {
    await this.swinir.dispose();
    await this.hdit.dispose();
  }
}
