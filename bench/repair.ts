/**
 * Repair quality on synthetic damage over the fixture photos (tests/helpers/synthetic-damage.ts),
 * the flagged fraction on clean old prints, and the stage's time. Prints numbers; no pass/fail.
 *   node --import tsx bench/repair.ts [--set tune|test|all] [--tuning '{"floor":20}']
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import type { Raster } from '../src-main/worker/pipeline/raster.ts';
import { type DamageTuning, detectDamage } from '../src-main/worker/pipeline/repair/detect-damage.ts';
import { inpaintMasked } from '../src-main/worker/pipeline/repair/inpaint.ts';
import { repairMetrics } from '../tests/helpers/damage-metrics.ts';
import { drawDamage } from '../tests/helpers/synthetic-damage.ts';
import { CLEAN_PRINTS, TEST_PHOTOS, TUNE_PHOTOS } from '../tests/helpers/repair-fixtures.ts';
import { sharedDir } from '../tests/helpers/shared.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const set = opt('--set') ?? 'all';
const tuning = JSON.parse(opt('--tuning') ?? '{}') as Partial<DamageTuning>;

async function load(rel: string): Promise<Raster> {
  const { data, info } = await sharp(path.join(sharedDir, 'fixtures', rel)).flatten({ background: '#ffffff' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, depth: 8, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const photos = set === 'tune' ? TUNE_PHOTOS : set === 'test' ? TEST_PHOTOS : [...TUNE_PHOTOS, ...TEST_PHOTOS];
const seeds = set === 'tune' ? [1, 2] : [101, 102];
const sums = { recall: 0, vis: 0, precision: 0, strict: 0, gain: 0, away: 0, n: 0 };
console.log('photo seed | recall, visible recall, precision (strict) | PSNR damaged -> repaired (gain) | unchanged away | flagged | ms detect+inpaint');
for (const rel of photos) {
  const clean = await load(rel);
  for (const seed of seeds) {
    const syn = drawDamage(clean, { seed });
    const t0 = performance.now();
    const det = await detectDamage(syn.damaged, { tuning });
    const t1 = performance.now();
    const repaired = await inpaintMasked(syn.damaged, det.mask);
    const t2 = performance.now();
    const m = repairMetrics(clean, syn.damaged, repaired, syn.alpha, det.mask);
    sums.recall += m.recall; sums.vis += m.recallVisible; sums.precision += m.precision; sums.strict += m.precisionStrict; sums.gain += m.psnrGain; sums.away += m.unchangedAway; sums.n++;
    console.log(`${rel} ${seed} | ${fmt(m.recall)} vis ${fmt(m.recallVisible)} ${fmt(m.precision)} (${fmt(m.precisionStrict)}) | ${fmt(m.psnrDamaged, 1)} -> ${fmt(m.psnrRepaired, 1)} (${fmt(m.psnrGain, 1)}) | ${fmt(m.unchangedAway, 4)} | ${fmt(100 * m.flagged, 2)}% | ${(t1 - t0).toFixed(0)}+${(t2 - t1).toFixed(0)}`);
  }
}
const n = sums.n;
console.log(`mean | recall ${fmt(sums.recall / n)} visible ${fmt(sums.vis / n)} precision ${fmt(sums.precision / n)} (strict ${fmt(sums.strict / n)}) | gain ${fmt(sums.gain / n, 1)} dB | unchanged away ${fmt(sums.away / n, 4)}`);
console.log('clean prints: flagged fraction');
for (const rel of CLEAN_PRINTS) {
  const img = await load(rel);
  const det = await detectDamage(img, { tuning });
  console.log(`${rel} | ${fmt((100 * det.pixels) / (img.width * img.height), 2)}% (${det.lines} lines, ${det.specks} specks)`);
}

// Speed: a 12 MP scan (scan-two-children upscaled) with synthetic damage, detection + inpainting.
// Wall time depends on the machine's load; CPU time is what the stage itself costs (one thread:
// this OpenCV.js build has no threads).
{
  const { data, info } = await sharp(path.join(sharedDir, 'fixtures', 'photos', 'scan-two-children-2.jpg')).resize(2830, 4190).raw().toBuffer({ resolveWithObject: true });
  const big = drawDamage({ width: info.width, height: info.height, depth: 8, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }, { seed: 3 });
  for (const run of ['cold', 'warm']) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const det = await detectDamage(big.damaged, { tuning });
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    await inpaintMasked(big.damaged, det.mask);
    const t2 = performance.now();
    const c2 = process.cpuUsage(c0);
    const cpu = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
    console.log(`12 MP (${run}) | ${fmt((100 * det.pixels) / (info.width * info.height), 2)}% flagged | wall ms detect ${(t1 - t0).toFixed(0)} + inpaint ${(t2 - t1).toFixed(0)} | cpu ms ${cpu(c1).toFixed(0)} + ${(cpu(c2) - cpu(c1)).toFixed(0)}`);
  }
}
