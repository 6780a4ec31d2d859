/** What the engine can do on this machine: devices, the GPU adapter and the time a face takes. */
import type { Device } from '../../../src-shared/settings.ts';
import { resolveArch } from '../inference/arch.ts';
import { webgpuAdapter } from '../inference/gpu-adapter.ts';
import { distrustReason } from '../inference/gpu-trust.ts';
import { faceSeconds, measuredPassTimes } from '../inference/pass-times.ts';
import { allChecks, type SelfCheck } from '../inference/self-check.ts';
import { providerPlan, type ExecutionProvider } from '../inference/session.ts';
import { cacheDir } from '../../util/app-paths.ts';
import type { Handlers } from './context.ts';

/** The newest self-check of a provider on this adapter (any model), if one was made. */
function latestCheck(ep: ExecutionProvider): SelfCheck | undefined {
  const adapter = ep === 'webgpu' ? webgpuAdapter().name : null;
  return allChecks(cacheDir()).find((c) => c.provider === ep && c.adapter === adapter);
}

function latestVerdictAgainst(ep: ExecutionProvider, device: Device): string | undefined {
  const check = latestCheck(ep);
  return check === undefined ? undefined : distrustReason(check, device);
}

/** A verdict in words for the settings panel. */
function checkInWords(c: SelfCheck): string {
  const when = c.checkedAt.slice(0, 10);
  if (!c.ok) return `Checked against the CPU on ${when}: ${c.reason}.`;
  return `Checked against the CPU on ${when}: same result (largest difference ${Math.max(c.maxErr.swinir, c.maxErr.hdit).toExponential(1)}).`;
}

export const engineHandlers: Handlers<'engineInfo'> = {
  engineInfo: async ({ engine, steps }) => {
    const plan = providerPlan('auto');
    const skipped = [...plan.skipped];
    // GPUs whose self-check failed, or that proved slower than the CPU, are not what auto runs on.
    const devices: Device[] = plan.order.filter((ep) => {
      const reason = ep === 'cpu' ? undefined : latestVerdictAgainst(ep, 'auto');
      if (reason !== undefined) skipped.push(reason);
      return reason === undefined;
    });
    let activeDevice: Device = engine.device === 'auto' ? (devices[0] ?? 'cpu') : engine.device;
    // A GPU asked for by name that failed its self-check runs on the CPU.
    if (engine.device !== 'auto' && engine.device !== 'cpu') {
      const reason = latestVerdictAgainst(engine.device, engine.device);
      if (reason !== undefined) {
        skipped.push(reason);
        activeDevice = 'cpu';
      }
    }
    // The estimate is a measurement on this device (self-check or an earlier restore), never a constant.
    let secondsPerFace: number | null = null;
    try {
      const { config } = resolveArch(engine.arch ?? undefined);
      const measured = measuredPassTimes(cacheDir(), { provider: activeDevice === 'auto' ? 'cpu' : activeDevice, arch: config, faceSize: engine.faceSize, precision: 'fp32' });
      secondsPerFace = measured === undefined ? null : faceSeconds(measured, steps);
    } catch {
      secondsPerFace = null;
    }
    const check = activeDevice === 'cpu' || activeDevice === 'auto' ? undefined : latestCheck(activeDevice);
    return { devices, activeDevice, secondsPerFace, gpuAdapter: webgpuAdapter().name, skipped, gpuCheck: check === undefined ? null : checkInWords(check) };
  },
};
