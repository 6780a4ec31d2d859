/**
 * Whether the engine may use the GPU sessions it got: the self-check's verdict (cached or run
 * now) decides. A GPU that computes wrong is replaced by the CPU with the reason; one slower
 * than the CPU is replaced too when the user asked for `auto` (asked for by name, it is kept).
 */
import path from 'node:path';
import type { Device } from '../../../src-shared/settings.ts';
import type { NetworkName, Precision } from './build.ts';
import { webgpuAdapter } from './gpu-adapter.ts';
import { faceSeconds } from './pass-times.ts';
import { readCheck, runSelfCheck, type CheckIdentity, type Networks, type SelfCheck } from './self-check.ts';
import { OrtSession, type ExecutionProvider } from './session.ts';

export interface TrustOptions {
  files: Record<NetworkName, string>;
  /** The built models' folder. */
  buildDir: string;
  device: Device;
  threads?: number;
  imageSize: number;
  precision: Precision;
  cacheDir: string;
  /** Set when the GPU sessions were created profiling to `${profilePrefix}<network>`: the check runs. */
  profilePrefix?: string;
  onStatus?: (message: string) => void;
}

export interface Trusted {
  networks: Networks;
  check?: SelfCheck;
  /** True when the check ran now (not read from the cache). */
  fresh?: boolean;
  fallbackReason?: string;
}

/** Why a GPU with this verdict is not used for `device`, or undefined when it is. */
export function distrustReason(check: SelfCheck, device: Device): string | undefined {
  const gpuPass = faceSeconds(check.seconds, 1);
  const cpuPass = faceSeconds(check.cpuSeconds, 1);
  if (!check.ok) return `${check.provider}: ${check.reason}`;
  if (device === 'auto' && gpuPass > cpuPass) return `${check.provider}: slower than the CPU on this machine (self-check: ${fmt(gpuPass)} s for a SwinIR and an HDiT pass, ${fmt(cpuPass)} s on the CPU)`;
  return undefined;
}

export function checkIdentity(buildDir: string, provider: ExecutionProvider): CheckIdentity {
  return { build: path.basename(buildDir), provider, adapter: provider === 'webgpu' ? webgpuAdapter().name : null };
}

const fmt = (s: number) => s.toFixed(s < 1 ? 3 : 2);

/** Keeps `gpu` when its verdict allows, else CPU sessions for the same files. */
export async function trustGpu(gpu: Networks, o: TrustOptions): Promise<Trusted> {
  const provider = gpu.hdit.provider;
  if (provider === 'cpu') return { networks: gpu };
  const id = checkIdentity(o.buildDir, provider);
  let cpu: Networks | undefined;
  const cpuNetworks = async (): Promise<Networks> => {
    if (cpu === undefined) {
      const swinir = await OrtSession.create(o.files.swinir, { device: 'cpu', threads: o.threads });
      cpu = { swinir, hdit: await OrtSession.create(o.files.hdit, { device: 'cpu', threads: o.threads }) };
    }
    return cpu;
  };
  let check = o.profilePrefix === undefined ? await readCheck(o.cacheDir, id) : undefined;
  const fresh = check === undefined;
  if (check === undefined) {
    o.onStatus?.(`checking ${provider} against the CPU before its first use with this model`);
    check = await runSelfCheck(gpu, await cpuNetworks(), { id, imageSize: o.imageSize, precision: o.precision, cacheDir: o.cacheDir, profilePrefix: o.profilePrefix });
  }
  const reason = distrustReason(check, o.device);
  if (reason === undefined) {
    if (cpu !== undefined) await Promise.all([cpu.swinir.dispose(), cpu.hdit.dispose()]);
    return { networks: gpu, check, fresh };
  }
  const networks = await cpuNetworks();
  await Promise.all([gpu.swinir.dispose(), gpu.hdit.dispose()]);
  return { networks, check, fresh, fallbackReason: reason };
}
