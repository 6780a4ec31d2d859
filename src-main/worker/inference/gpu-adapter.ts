/**
 * The WebGPU adapter this machine would give onnxruntime, as far as it can be known without
 * opening one. onnxruntime-node does not expose Dawn's adapter info, so on Linux the GPUs are
 * read from /sys/class/drm and /proc/driver/nvidia (Dawn asks for the high-performance adapter:
 * a discrete GPU, then an integrated one, and only when there is no GPU at all a CPU adapter such
 * as Mesa's lavapipe or SwiftShader). A software adapter runs the networks on the CPU, slower than the CPU provider,
 * so `auto` never picks one; the self-check's timing catches what this cannot see (a GPU
 * without a Vulkan driver, Windows' WARP).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export interface GpuAdapter {
  /** In words, e.g. "NVIDIA GPU 10de:2684 (driver nvidia)" or "software Vulkan (Mesa lavapipe) on the CPU". */
  name: string;
  /** true: a CPU (software) adapter; false: a hardware GPU; null: cannot be told before use. */
  software: boolean | null;
}

const PCI_VENDORS: Record<string, string> = {
  '0x10de': 'NVIDIA',
  '0x1002': 'AMD',
  '0x1022': 'AMD',
  '0x8086': 'Intel',
  '0x5143': 'Qualcomm',
  '0x106b': 'Apple',
  '0x1af4': 'virtio',
  '0x15ad': 'VMware',
  '0x1234': 'QEMU',
};

/** DRM drivers that have no GPU behind them (display-only or virtual framebuffers). */
const NOT_A_GPU = new Set(['simpledrm', 'vgem', 'vkms', 'bochs-drm', 'bochs', 'cirrus', 'cirrus-qemu', 'qxl', 'vboxvideo', 'vmwgfx', 'virtio-pci', 'virtio_gpu', 'hyperv_drm', 'ast', 'mgag200', 'udl', 'efifb']);

const read = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
};

/** GPUs under a /sys/class/drm folder, each "VENDOR GPU vvvv:dddd (driver x)". */
export function drmGpus(root = '/sys/class/drm'): string[] {
  if (!existsSync(root)) return [];
  const gpus: string[] = [];
  for (const card of readdirSync(root).filter((n) => /^card\d+$/.test(n)).sort()) {
    const dev = path.join(root, card, 'device');
    let driver = 'unknown';
    try {
      driver = path.basename(readlinkSync(path.join(dev, 'driver')));
    } catch {
      // no driver bound: not usable
      continue;
    }
    if (NOT_A_GPU.has(driver)) continue;
    const vendor = read(path.join(dev, 'vendor'));
    const device = read(path.join(dev, 'device'));
    const maker = vendor === null ? driver : (PCI_VENDORS[vendor] ?? `vendor ${vendor}`);
    const ids = vendor !== null && device !== null ? ` ${vendor.replace(/^0x/, '')}:${device.replace(/^0x/, '')}` : '';
    gpus.push(`${maker} GPU${ids} (driver ${driver})`);
  }
  return gpus;
}

/**
 * NVIDIA GPUs the proprietary driver lists (a container given a GPU often has no /sys/class/drm
 * entry for it, but has /proc/driver/nvidia).
 */
export function nvidiaGpus(root = '/proc/driver/nvidia/gpus'): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .map((bus) => {
      const model = read(path.join(root, bus, 'information'))?.match(/^Model:\s*(.+)$/m)?.[1]?.trim();
      return `${model ?? 'NVIDIA GPU'} (driver nvidia, ${bus})`;
    });
}

/** The adapter Dawn would choose on `platform`, as far as it can be known. */
export function webgpuAdapter(platform: NodeJS.Platform = process.platform, drmRoot = '/sys/class/drm', nvidiaRoot = '/proc/driver/nvidia/gpus'): GpuAdapter {
  if (platform === 'linux') {
    const gpus = [...drmGpus(drmRoot), ...nvidiaGpus(nvidiaRoot)];
    if (gpus.length === 0) return { name: 'software Vulkan (Mesa lavapipe or SwiftShader) on the CPU: no GPU found under /sys/class/drm or /proc/driver/nvidia', software: true };
    return { name: `${gpus[0]} via Vulkan`, software: false };
  }
  // Every Mac that runs Electron has a Metal GPU; Dawn offers no CPU adapter there.
  if (platform === 'darwin') return { name: 'Metal GPU', software: false };
  if (platform === 'win32') return { name: 'Direct3D 12 adapter (its name is not known before use)', software: null };
  return { name: 'unknown adapter', software: null };
}
