/**
 * What this machine offers for inference, as facts (`heirloom devices` prints them): each
 * execution provider (offered by this onnxruntime build / its library present / loads and
 * computes a probe), the WebGPU adapter, what `auto` picks and why it skips the others, the GPU
 * self-check verdicts with their node placement, and the measured time per face.
 */
import * as ort from 'onnxruntime-node';
import type { ArchConfig } from './arch.ts';
import { webgpuAdapter, type GpuAdapter } from './gpu-adapter.ts';
import { distrustReason } from './gpu-trust.ts';
import { measuredPassTimes, type PassTimes } from './pass-times.ts';
import { probeProvider } from './provider-probe.ts';
import { allChecks, type SelfCheck } from './self-check.ts';
import { providerLibraryPresent, providerPlan, supportedBackends, type ExecutionProvider } from './session.ts';

/** The providers Heirloom can use. */
export const PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'];

export interface ProviderFacts {
  provider: ExecutionProvider;
  /** In this onnxruntime-node build's list for this platform. */
  offered: boolean;
  /** Ships inside onnxruntime-node (true) or as a separately installed library (false). */
  bundled: boolean | null;
  /** For a provider that is not bundled: its shared library is installed. */
  libraryPresent: boolean | null;
  /** Loads and computes the probe correctly (null: not tried, e.g. not offered). */
  loads: boolean | null;
  reason?: string;
}

export interface DevicesReport {
  onnxruntime: string;
  platform: string;
  providers: ProviderFacts[];
  adapter: GpuAdapter;
  auto: { order: ExecutionProvider[]; skipped: string[] };
  /** Cached self-check verdicts on this machine's adapters, newest first. */
  checks: SelfCheck[];
  /** Measured seconds per pass, per provider, for the architecture and face size asked about. */
  passTimes: Partial<Record<ExecutionProvider, PassTimes>>;
}

export async function providerFacts(): Promise<ProviderFacts[]> {
  const backends = supportedBackends();
  const out: ProviderFacts[] = [];
  for (const provider of PROVIDERS) {
    const b = backends.find((x) => x.name === provider);
    if (b === undefined) {
      out.push({ provider, offered: false, bundled: null, libraryPresent: null, loads: null, reason: `not offered by onnxruntime-node on ${process.platform}` });
      continue;
    }
    const libraryPresent = b.bundled ? null : providerLibraryPresent(provider);
    if (libraryPresent === false) {
      out.push({ provider, offered: true, bundled: b.bundled, libraryPresent, loads: null, reason: 'its provider library is not installed' });
      continue;
    }
    const probe = await probeProvider(provider);
    out.push({ provider, offered: true, bundled: b.bundled, libraryPresent, loads: probe.loads, reason: probe.reason });
  }
  return out;
}

export async function devicesReport(cacheDir: string, model?: { arch: ArchConfig; faceSize: number }): Promise<DevicesReport> {
  const adapter = webgpuAdapter();
  const checks = allChecks(cacheDir).filter((c) => c.provider !== 'webgpu' || c.adapter === adapter.name);
  const plan = providerPlan('auto');
  const skipped = [...plan.skipped];
  const order = plan.order.filter((ep) => {
    const check = ep === 'cpu' ? undefined : checks.find((c) => c.provider === ep);
    const reason = check === undefined ? undefined : distrustReason(check, 'auto');
    if (reason !== undefined) skipped.push(reason);
    return reason === undefined;
  });
  const passTimes: DevicesReport['passTimes'] = {};
  if (model !== undefined) {
    for (const provider of PROVIDERS) {
      const t = measuredPassTimes(cacheDir, { provider, arch: model.arch, faceSize: model.faceSize, precision: 'fp32' });
      if (t !== undefined) passTimes[provider] = t;
    }
  }
  return {
    onnxruntime: ort.env.versions.common,
    platform: `${process.platform} ${process.arch}`,
    providers: await providerFacts(),
    adapter,
    auto: { order, skipped },
    checks,
    passTimes,
  };
}
