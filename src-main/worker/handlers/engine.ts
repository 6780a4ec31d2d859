/** What the engine can do on this machine: devices and the time a face takes. */
import type { Device } from '../../../src-shared/settings.ts';
import { resolveArch } from '../inference/arch.ts';
import { hditFlops, swinirFlops } from '../inference/flops.ts';
import { webgpuAdapter } from '../inference/gpu-adapter.ts';
import { providerPlan } from '../inference/session.ts';
import type { Handlers } from './context.ts';

/**
 * Rough throughput of each device class, GFLOP/s, for the time estimate shown before a batch.
 * WebGPU has none: its adapters range from a phone-class integrated GPU to a workstation card.
 */
const GFLOPS: Record<Exclude<Device, 'auto'>, number | null> = { cpu: 130, cuda: 20000, dml: 8000, coreml: 4000, webgpu: null };

export const engineHandlers: Handlers<'engineInfo'> = {
  engineInfo: async ({ engine, steps }) => {
    const plan = providerPlan('auto');
    const devices: Device[] = plan.order;
    const activeDevice: Device = engine.device === 'auto' ? (devices[0] ?? 'cpu') : engine.device;
    let secondsPerFace: number | null = null;
    try {
      const { config } = resolveArch(engine.arch ?? undefined);
      const gflop = (swinirFlops(config.swinir, engine.faceSize).total + steps * hditFlops(config.hdit, engine.faceSize).total) / 1e9;
      const rate = GFLOPS[activeDevice === 'auto' ? 'cpu' : activeDevice];
      secondsPerFace = rate === null ? null : gflop / rate;
    } catch {
      secondsPerFace = null;
    }
    return { devices, activeDevice, secondsPerFace, gpuAdapter: webgpuAdapter().name, skipped: plan.skipped };
  },
};
