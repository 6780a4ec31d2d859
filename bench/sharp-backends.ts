/**
 * sharp's native libvips against its WebAssembly build (@img/sharp-wasm32, what the Linux desktop
 * app runs: native libvips carries its own GLib, which clashes with the one Electron links), on
 * the image work the app does: decode a 12 MP JPEG to pixels, a gallery thumbnail, a viewer
 * preview, a 12 MP JPEG encode. Each backend runs in its own process; median of 5 runs, ms.
 *
 *   node --import tsx bench/sharp-backends.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedPath } from '../tests/helpers/shared.ts';

const self = fileURLToPath(import.meta.url);
const RUNS = 5;

async function measure(photo: string, dir: string): Promise<void> {
  const { default: sharp } = await import('sharp');
  sharp.concurrency(os.availableParallelism());
  const big = path.join(dir, 'big.jpg');
  const meta = await sharp(photo).metadata();
  const k = Math.sqrt(12e6 / (meta.width! * meta.height!));
  await sharp(photo).resize(Math.round(meta.width! * k)).jpeg({ quality: 92 }).toFile(big);
  const { data, info } = await sharp(big).raw().toBuffer({ resolveWithObject: true });
  const ops: Record<string, () => Promise<unknown>> = {
    'decode 12 MP': () => sharp(big).rotate().raw().toBuffer(),
    'thumbnail 320': () => sharp(big, { sequentialRead: true }).rotate().resize(320, 320, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer(),
    'preview 4096': () => sharp(big, { sequentialRead: true }).rotate().resize(4096, 4096, { fit: 'inside' }).jpeg({ quality: 90 }).toBuffer(),
    'encode 12 MP JPEG': () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).jpeg({ quality: 92 }).toBuffer(),
  };
  const out: Record<string, number> = {};
  for (const [name, op] of Object.entries(ops)) {
    await op();
    const t: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await op();
      t.push(performance.now() - t0);
    }
    out[name] = t.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
  }
  // The WebAssembly build names the emscripten it was built with.
  console.log(JSON.stringify({ backend: 'emscripten' in sharp.versions ? 'wasm' : 'native', ms: out }));
}

async function main(): Promise<void> {
  const photos = sharedPath('fixtures', 'photos');
  if (photos.skip) return console.log(`skipped: ${photos.skip}`);
  const rows: { label: string; ms: Record<string, number> }[] = [];
  for (const [label, pre] of [['native libvips', []], ['WebAssembly', ['-r', path.join(path.dirname(self), '..', 'tests', 'helpers', 'sharp-wasm.cjs')]]] as const) {
    const r = spawnSync(process.execPath, [...pre, '--import', 'tsx', self, '--child'], { encoding: 'utf8', env: process.env });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) throw new Error(`${label} run failed:\n${r.stdout}\n${r.stderr}`);
    const got = JSON.parse(line) as { backend: string; ms: Record<string, number> };
    if (got.backend !== (label === 'WebAssembly' ? 'wasm' : 'native')) throw new Error(`${label}: sharp ran its ${got.backend} build`);
    rows.push({ label, ms: got.ms });
  }
  console.log(`sharp backends, ${os.availableParallelism()} cores, median of ${RUNS} (ms)`);
  const names = Object.keys(rows[0].ms);
  console.log(`${'op'.padEnd(20)}${rows.map((r) => r.label.padStart(16)).join('')}    ratio`);
  for (const n of names) {
    console.log(`${n.padEnd(20)}${rows.map((r) => String(Math.round(r.ms[n])).padStart(16)).join('')}    ${(rows[1].ms[n] / rows[0].ms[n]).toFixed(2)}x`);
  }
}

if (process.argv.includes('--child')) {
  const photos = sharedPath('fixtures', 'photos');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-sharp-bench-'));
  try {
    await measure(path.join(photos.path, 'group-office-4.jpg'), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else await main();
