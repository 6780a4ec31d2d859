/**
 * A GPU is trusted only after it proved itself: before a GPU provider restores faces with a
 * built model for the first time, both networks run once on a fixed seeded probe, on the GPU and
 * on the CPU (the verified provider), and the outputs are compared (and checked for NaN / Inf).
 * The verdict, with the measured time per pass on both and where the nodes ran, is cached under
 * the build cache, keyed by the built model (checkpoint hash + build options), the provider, the
 * adapter as far as it is known and the onnxruntime version: the check costs once, not per batch.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import type { Precision } from './build.ts';
import { gaussianNoise } from './noise.ts';
import { f32Tensor, type ExecutionProvider, type OrtSession } from './session.ts';

/** Largest |GPU - CPU| accepted, relative to max(1, |CPU|): the parity tolerances of the restored face. */
export const SELF_CHECK_TOLERANCE: Record<Precision, number> = { fp32: 1e-3, fp16: 2e-2 };

const secondsSchema = z.object({ swinir: z.number(), hdit: z.number() });
const checkSchema = z.object({
  provider: z.string(),
  adapter: z.string().nullable(),
  onnxruntime: z.string(),
  build: z.string(),
  ok: z.boolean(),
  /** Why the GPU is not trusted (null when it is). */
  reason: z.string().nullable(),
  maxErr: secondsSchema,
  tolerance: z.number(),
  /** Seconds per pass of one face: on the provider (after a warm-up run) and on the CPU. */
  seconds: secondsSchema,
  cpuSeconds: secondsSchema,
  /** Nodes of each network per provider, after onnxruntime's optimisations (empty: not profiled). */
  placement: z.object({ swinir: z.record(z.string(), z.number()), hdit: z.record(z.string(), z.number()) }),
  checkedAt: z.string(),
});
export type SelfCheck = z.infer<typeof checkSchema>;

export interface CheckIdentity {
  /** The built models' folder name: checkpoint hash + architecture + size + precision + builder. */
  build: string;
  provider: ExecutionProvider;
  adapter: string | null;
}

export function checkKey(id: CheckIdentity): string {
  return createHash('sha256').update(JSON.stringify([id.build, id.provider, id.adapter, ort.env.versions.common])).digest('hex').slice(0, 24);
}

const checksDir = (cacheDir: string) => path.join(cacheDir, 'device-checks');

/** The cached verdict, or undefined (absent or unreadable: the check runs again). */
export async function readCheck(cacheDir: string, id: CheckIdentity): Promise<SelfCheck | undefined> {
  try {
    const parsed = checkSchema.safeParse(JSON.parse(await readFile(path.join(checksDir(cacheDir), `${checkKey(id)}.json`), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function writeCheck(cacheDir: string, id: CheckIdentity, check: SelfCheck): Promise<void> {
  const dir = checksDir(cacheDir);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${checkKey(id)}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(check, null, 1));
  await rename(tmp, file);
}

/** Every verdict cached under `cacheDir`, newest first. */
export function allChecks(cacheDir: string): SelfCheck[] {
  const dir = checksDir(cacheDir);
  if (!existsSync(dir)) return [];
  const out: SelfCheck[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    try {
      const parsed = checkSchema.safeParse(JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // a damaged verdict is ignored; the next check replaces it
    }
  }
  return out.sort((a, b) => b.checkedAt.localeCompare(a.checkedAt));
}

/** Nodes per provider in an onnxruntime profile file ("CPUExecutionProvider" -> "cpu"). */
export function placementFromProfile(file: string): Record<string, number> {
  const events = JSON.parse(readFileSync(file, 'utf8')) as { cat?: string; name?: string; args?: { provider?: string } }[];
  const byProvider = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.cat !== 'Node' || e.name === undefined || e.args?.provider === undefined) continue;
    const name = e.args.provider.replace(/ExecutionProvider$/, '').toLowerCase();
    const set = byProvider.get(name) ?? new Set<string>();
    set.add(e.name.replace(/_kernel_time$/, ''));
    byProvider.set(name, set);
  }
  return Object.fromEntries([...byProvider].map(([k, v]) => [k, v.size]));
}

/** The newest profile file written under `prefix`; it is read and deleted. */
function takeProfile(prefix: string): Record<string, number> {
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json')) : [];
  if (files.length === 0) return {};
  const file = path.join(dir, files.sort().at(-1)!);
  try {
    return placementFromProfile(file);
  } finally {
    for (const f of files) rmSync(path.join(dir, f), { force: true });
  }
}

export interface Networks {
  swinir: OrtSession;
  hdit: OrtSession;
}

/** The probe: a fixed seeded degraded face y, a flow state x and a time (the same on every machine). */
export function probeInputs(imageSize: number): { y: Float32Array; x: Float32Array; t: number } {
  const n = 3 * imageSize * imageSize;
  const y = gaussianNoise(0x5e1f, n).map((z) => Math.min(1, Math.max(0, 0.5 + 0.2 * z)));
  const x = gaussianNoise(0xc4ec, n).map((z) => 0.5 + 0.3 * z);
  return { y, x, t: 0.5 };
}

function compare(gpu: Float32Array, cpu: Float32Array): { err: number; finite: boolean; scale: number } {
  let err = 0;
  let scale = 1;
  let finite = true;
  for (let i = 0; i < cpu.length; i++) {
    if (!Number.isFinite(gpu[i])) finite = false;
    err = Math.max(err, Math.abs(gpu[i] - cpu[i]));
    scale = Math.max(scale, Math.abs(cpu[i]));
  }
  return { err, finite, scale };
}

export interface SelfCheckOptions {
  id: CheckIdentity;
  imageSize: number;
  precision: Precision;
  cacheDir: string;
  /** The prefix the GPU sessions were created with (`SessionOptions.profilePrefix`), if any. */
  profilePrefix?: string;
}

/** Runs the check on `gpu` against `cpu`, ends the GPU sessions' profiling, caches the verdict. */
export async function runSelfCheck(gpu: Networks, cpu: Networks, opts: SelfCheckOptions): Promise<SelfCheck> {
  const S = opts.imageSize;
  const dims = [1, 3, S, S];
  const { y, x, t } = probeInputs(S);
  const swinirFeeds = () => ({ y: f32Tensor(y, dims) });
  const hditFeeds = () => ({ x: f32Tensor(x, dims), t: f32Tensor(Float32Array.of(t), [1]) });
  const timed = async (fn: () => Promise<Float32Array>): Promise<{ out: Float32Array; seconds: number }> => {
    const t0 = performance.now();
    const out = await fn();
    return { out, seconds: (performance.now() - t0) / 1000 };
  };
  // GPU: a first run compiles its shaders; the second is timed. Profiling covers both, then ends.
  await gpu.swinir.runFloat(swinirFeeds(), 'mmse');
  await gpu.hdit.runFloat(hditFeeds(), 'v');
  const gs = await timed(() => gpu.swinir.runFloat(swinirFeeds(), 'mmse'));
  const gh = await timed(() => gpu.hdit.runFloat(hditFeeds(), 'v'));
  let swinirPlacement: Record<string, number> = {};
  let hditPlacement: Record<string, number> = {};
  if (opts.profilePrefix !== undefined) {
    gpu.swinir.endProfiling();
    swinirPlacement = takeProfile(`${opts.profilePrefix}swinir`);
    gpu.hdit.endProfiling();
    hditPlacement = takeProfile(`${opts.profilePrefix}hdit`);
  }
  const cs = await timed(() => cpu.swinir.runFloat(swinirFeeds(), 'mmse'));
  const ch = await timed(() => cpu.hdit.runFloat(hditFeeds(), 'v'));

  const tolerance = SELF_CHECK_TOLERANCE[opts.precision];
  const s = compare(gs.out, cs.out);
  const h = compare(gh.out, ch.out);
  let reason: string | null = null;
  if (!s.finite || !h.finite) reason = `the self-check found NaN or infinite values in the ${!s.finite ? 'SwinIR' : 'HDiT'} output`;
  else if (s.err > tolerance * s.scale) reason = `the self-check's SwinIR output differs from the CPU's by ${s.err.toExponential(2)} (tolerance ${(tolerance * s.scale).toExponential(1)})`;
  else if (h.err > tolerance * h.scale) reason = `the self-check's HDiT output differs from the CPU's by ${h.err.toExponential(2)} (tolerance ${(tolerance * h.scale).toExponential(1)})`;
  const check: SelfCheck = {
    provider: opts.id.provider,
    adapter: opts.id.adapter,
    onnxruntime: ort.env.versions.common,
    build: opts.id.build,
    ok: reason === null,
    reason,
    maxErr: { swinir: s.err, hdit: h.err },
    tolerance,
    seconds: { swinir: gs.seconds, hdit: gh.seconds },
    cpuSeconds: { swinir: cs.seconds, hdit: ch.seconds },
    placement: { swinir: swinirPlacement, hdit: hditPlacement },
    checkedAt: new Date().toISOString(),
  };
  await writeCheck(opts.cacheDir, opts.id, check);
  return check;
}
