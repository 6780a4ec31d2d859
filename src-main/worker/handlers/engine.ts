/** What the engine can do on this machine: devices and the time a face takes. */
import type { Device } from '../../../src-shared/settings.ts';
import { resolveArch } from '../inference/arch.ts';
import { hditFlops, swinirFlops } from '../inference/flops.ts';
import { providerPlan } from '../inference/session.ts';
import type { Handlers } from './context.ts';

/** Rough throughput of each device class, GFLOP/s, for the time estimate shown before a batch. */
const GFLOPS: Record<Exclude<Device, 'auto'>, number> = { cpu: 130, cuda: 20000, dml: 8000, coreml: 4000 };

export const engineHandlers: Handlers<'engineInfo'> = {
  engineInfo: async ({ engine, steps }) => {
    const devices: Device[] = providerPlan('auto').order;
    const activeDevice: Device = engine.device === 'auto' ? (devices[0] ?? 'cpu') : engine.device;
    let secondsPerFace: number | null = null;
    try {
      const { config } = resolveArch(engine.arch ?? undefined);
      const gflop = (swinirFlops(config.swinir, engine.faceSize).total + steps * hditFlops(config.hdit, engine.faceSize).total) / 1e9;
      secondsPerFace = gflop / GFLOPS[activeDevice === 'auto' ? 'cpu' : activeDevice];
    } catch {
      secondsPerFace = null;
    }
    return { devices, activeDevice, secondsPerFace };
  },
};
