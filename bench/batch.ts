/**
 * Batch queue benchmark: photos per minute over the fixture photos with the tiny PMRF test model
 * (real detection, alignment, ONNX inference, paste, encode), once without pipelining
 * (prefetch 0) and once with the next photo prepared during inference (prefetch 1), and the
 * library database's cost per photo (ms, synchronous=FULL on a file). Numbers only.
 *
 *   node --import tsx bench/batch.ts [--steps <k>] [--pairs none|side-by-side|files]
 *
 * A warm-up photo first loads the detector and builds the model, so neither run pays for it.
 * Everything is written to a temporary folder that is deleted afterwards.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SETTINGS, PAIR_MODES, type PairMode, type RestoreSettings } from '../src-shared/settings.ts';
import { parseArch } from '../src-main/worker/inference/arch.ts';
import { createPmrfRestorer } from '../src-main/worker/inference/pmrf-restorer.ts';
import { sha256File } from '../src-main/util/file-hash.ts';
import { openLibrary } from '../src-main/library/db.ts';
import { imageHeader } from '../src-main/worker/media.ts';
import { importPaths } from '../src-main/library/import.ts';
import { addResult, getPhoto, replaceFaces, setPhotoStatus } from '../src-main/library/photos.ts';
import { BatchQueue } from '../src-main/jobs/batch-queue.ts';
import { claimItem, countItems, createJob, finishItem, listItems, reserveOutputs, reservedOutputs } from '../src-main/jobs/job-store.ts';
import { PipelineProcessor } from '../src-main/worker/photo-stages.ts';
import { chooseOutputNames } from '../src-main/export/naming.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const sharedDir = process.env.HEIRLOOM_SHARED ?? path.resolve(repoRoot, '..', 'shared');
const photosDir = path.join(sharedDir, 'fixtures', 'photos');
const tiny = path.join(repoRoot, 'tests', 'fixtures', 'pmrf', 'tiny');
const pairs = (argValue('--pairs') ?? 'side-by-side') as PairMode;
if (!PAIR_MODES.includes(pairs)) throw new Error(`--pairs must be one of ${PAIR_MODES.join(', ')}`);
const settings: RestoreSettings = { ...DEFAULT_SETTINGS, steps: Number(argValue('--steps') ?? 4), device: 'cpu', pairs };

const work = mkdtempSync(path.join(os.tmpdir(), 'heirloom-bench-batch-'));
const out = (s: string) => process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  const checkpoint = path.join(tiny, 'checkpoint.safetensors');
  const metaPath = path.join(tiny, 'meta.json');
  const arch = parseArch(JSON.parse(readFileSync(metaPath, 'utf8')), 'tiny meta.json');
  const restorer = await createPmrfRestorer({
    model: checkpoint,
    arch: metaPath,
    device: 'cpu',
    imageSize: arch.image_size,
    cacheDir: path.join(work, 'cache'),
  });
  const processor = new PipelineProcessor({ restorer, modelSha256: await sha256File(checkpoint) });
  const photos = readdirSync(photosDir).filter((n) => !n.startsWith('.'));
  out(`batch bench: ${photos.length} fixture photos, ${restorer.description}, K=${settings.steps}, pairs ${pairs}, ${os.cpus().length} CPUs`);

  // Warm-up: detector models, ONNX sessions.
  await runOnce(processor, 1, [path.join(photosDir, 'boy-railing-1.jpg')], 'warmup');

  const results: Record<string, number> = {};
  for (const prefetch of [0, 1]) {
    const { seconds, perStage } = await runOnce(processor, prefetch, [photosDir], `prefetch-${prefetch}`);
    const ppm = (photos.length / seconds) * 60;
    results[prefetch] = ppm;
    out(`prefetch ${prefetch}: ${seconds.toFixed(2)} s for ${photos.length} photos = ${ppm.toFixed(1)} photos/min`);
    out(`  mean ms per photo by stage: ${Object.entries(perStage).map(([k, v]) => `${k.replace(/Ms$/, '')} ${v.toFixed(0)}`).join(', ')}`);
  }
  out(`pipelining speed-up (prefetch 1 / prefetch 0): ${(results[1] / results[0]).toFixed(2)}x`);
  out(`database cost per photo: ${dbCostPerPhoto(200).toFixed(2)} ms (synchronous=FULL, WAL, one file)`);
  await restorer.dispose();
}

async function runOnce(processor: PipelineProcessor, prefetch: number, inputs: string[], name: string) {
  const folder = path.join(work, name);
  const db = openLibrary(path.join(folder, '.heirloom', 'library.db'));
  try {
    const ids = (await importPaths(db, inputs, { readHeader: imageHeader })).result.photoIds;
    const queue = new BatchQueue({ db, processor, prefetch, faces: 'detect' });
    const t0 = performance.now();
    const { jobId } = queue.start(ids, settings, folder);
    await queue.idle();
    const seconds = (performance.now() - t0) / 1000;
    const items = listItems(db, jobId);
    const bad = items.filter((i) => i.state !== 'done');
    if (bad.length > 0) throw new Error(`${name}: ${bad.length} photos not restored: ${bad.map((b) => b.error).join('; ')}`);
    const sums: Record<string, number> = {};
    for (const r of db.prepare<[], { timings: string }>('SELECT timings FROM results WHERE error IS NULL').all()) {
      for (const [k, v] of Object.entries(JSON.parse(r.timings) as Record<string, number>)) sums[k] = (sums[k] ?? 0) + v;
    }
    const perStage = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / items.length]));
    return { seconds, perStage };
  } finally {
    db.close();
  }
}

/** The database work the queue does for one photo, timed on its own (no image work). */
function dbCostPerPhoto(n: number): number {
  const folder = path.join(work, 'db-cost');
  const db = openLibrary(path.join(folder, 'library.db'));
  const insert = db.prepare("INSERT INTO photos (path, size, mtime_ms, hash, status, added_at) VALUES (?, 1, 1, ?, 'new', '')");
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push(Number(insert.run(path.join(folder, `p${i}.jpg`), `h${i}`).lastInsertRowid));
  const jobId = createJob(db, settings, folder, ids);
  const face = { box: [1, 2, 30, 30] as [number, number, number, number], score: 0.9, points: [[1, 1], [2, 1], [1.5, 2], [1, 3], [2, 3]] as [[number, number], [number, number], [number, number], [number, number], [number, number]] };
  const t0 = performance.now();
  for (const item of listItems(db, jobId)) {
    const photo = getPhoto(db, item.photoId)!;
    claimItem(db, item.id);
    setPhotoStatus(db, photo.id, 'restoring');
    replaceFaces(db, photo.id, [face, face, face], settings.seed);
    const names = chooseOutputNames(folder, photo.path, settings.format, settings.pairs, reservedOutputs(db, folder));
    reserveOutputs(db, item.id, names);
    db.transaction(() => {
      addResult(db, { photoId: photo.id, settings, outputPath: names.image, outputs: [names.image], timingsMs: { totalMs: 1 }, modelHash: null, photoHash: photo.hash, key: null, error: null });
      finishItem(db, item.id, 'done');
      setPhotoStatus(db, photo.id, 'restored');
    })();
    for (let k = 0; k < 10; k++) countItems(db, jobId); // progress events
  }
  const ms = (performance.now() - t0) / n;
  db.close();
  return ms;
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
