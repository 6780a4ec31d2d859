/**
 * One photo of a running job: find it already done or prepare it (possibly ahead of time, while
 * the model restores the one before), restore it, write its files under names reserved in the
 * database first, and record the outcome. The queue (batch-queue.ts) decides which photo and when.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PhotoStage } from '../../src-shared/ipc.ts';
import type { RestoreSettings } from '../../src-shared/settings.ts';
import { allPaths, chooseOutputNames, extensionFor, mapNames, namesFor, pairPaths, type OutputNames } from '../export/naming.ts';
import { buildSidecar, writeSidecar } from '../export/sidecar.ts';
import type { LibraryDb } from '../library/db.ts';
import { addResult, getPhoto, latestResult, listFaces, matchingResults, photoSettings, replaceFaces, setLooksAligned, setPhotoNote, setPhotoStatus, type PhotoRow } from '../library/photos.ts';
import { photoResultKey, releaseOverwritten } from '../library/result-state.ts';
import { commitFiles, discardFiles, tempPathFor } from '../util/atomic-file.ts';
import { CRASHED_MESSAGE, finishItem, recordCrash, reserveOutputs, reservedOutputs, type JobItemRow, type JobRow } from './job-store.ts';
import { JobFatalError, checkOutputFolder, errorMessage, folderProblem } from './output-folder.ts';
import { PhotoCrashedError, type ModelUsed, type PhotoProcessor, type Prepared, type StageContext } from './photo-processor.ts';

/** Per-photo outcome, reported to `onItem` listeners (the CLI prints them). */
export interface ItemEvent {
  jobId: number;
  photoId: number;
  name: string;
  outcome: 'restored' | 'skipped' | 'failed';
  outputs: string[];
  error: string | null;
  /** Restored: the photo's stage times added up; otherwise the time it was the current photo. */
  ms: number;
  /** Restored: the model that did it (description); otherwise null. */
  model: string | null;
  /** Restored as one aligned face: the user asked, or it looked like one ('offered'). */
  alignedInput?: 'asked' | 'offered';
  /** Restored: written at a lower scale than asked (the output would have been too large), and why. */
  scaleLowered?: { scale: number; reason: string };
  /** Restored from a damaged file whose pixels could still be read: what was missing, in words. */
  damage?: string;
}

type PrepOutcome = { kind: 'skip'; outputs: string[] } | { kind: 'ready'; prepared: Prepared<unknown> } | { kind: 'error'; error: unknown };

/** A photo the job is working on (the current one or one prepared ahead). */
export interface PhotoItem {
  item: JobItemRow;
  photo: PhotoRow | null;
  outcome: Promise<PrepOutcome>;
  stage: PhotoStage;
  fraction: number;
}

export interface PhotoItemDeps {
  db: LibraryDb;
  processor: PhotoProcessor<unknown, unknown>;
  /** 'stored': use faces kept in the library (the app's per-face choices); 'detect': always detect. */
  faces: 'stored' | 'detect';
  /**
   * A photo restored again into the folder of its last result replaces that result's files
   * (the app: "Restore again" updates the photo) instead of adding a " (2)" group (the CLI).
   */
  replaceOwnOutputs: boolean;
  /** The item's stage changed (progress). */
  onStage(pi: PhotoItem): void;
  /** A photo's outcome is final. */
  onItem(e: ItemEvent): void;
}

/** Starts preparing an item, unless it is already restored from these bytes, settings and model. */
export function startPhotoItem(d: PhotoItemDeps, job: JobRow, item: JobItemRow, signal: AbortSignal): PhotoItem {
  const photo = getPhoto(d.db, item.photoId);
  const pi: PhotoItem = { item, photo, stage: 'decode', fraction: 0, outcome: Promise.resolve({ kind: 'error', error: new Error('photo not in library') }) };
  if (photo === null) return pi;
  pi.outcome = (async (): Promise<PrepOutcome> => {
    const settings = photoSettings(job.settings, photo);
    const modelSha256 = await d.processor.modelSha256(settings);
    const known = d.faces === 'stored' ? listFaces(d.db, photo.id) : [];
    // Already restored under this result key (settings and face decisions) with this model, and
    // the files are still on disk.
    const key = photoResultKey(job.settings, photo, d.faces === 'stored' ? known : null);
    const done = matchingResults(d.db, photo.id, photo.hash, key, settings).find(
      (r) => r.modelHash === modelSha256 && r.outputs.length > 0 && r.outputs.every((o) => existsSync(o)),
    );
    if (done !== undefined) return { kind: 'skip', outputs: done.outputs };
    const input = { path: photo.path, settings, knownFaces: known.length > 0 ? known : null, damageMask: photo.damageMask };
    return { kind: 'ready', prepared: await d.processor.prepare(input, stageContext(d, pi, signal)) };
  })().catch((error: unknown): PrepOutcome => ({ kind: 'error', error }));
  return pi;
}

function stageContext(d: PhotoItemDeps, pi: PhotoItem, signal: AbortSignal): StageContext {
  return {
    signal,
    onStage: (stage, fraction = 0) => {
      pi.stage = stage;
      pi.fraction = fraction;
      d.onStage(pi);
    },
  };
}

/**
 * Waits for the item's preparation, then restores and finishes it. Returns whether the photo
 * counts as processed (for the ETA); a cancelled photo goes back to the queue untouched.
 * Throws JobFatalError when the whole job must stop (output folder gone or full).
 */
export async function processPhotoItem(d: PhotoItemDeps, job: JobRow, pi: PhotoItem, signal: AbortSignal): Promise<boolean> {
  const t0 = performance.now();
  const { item, photo } = pi;
  const name = photo === null ? `photo ${item.photoId}` : path.basename(photo.path);
  const report = (
    outcome: ItemEvent['outcome'],
    outputs: string[],
    error: string | null,
    ms = performance.now() - t0,
    model: string | null = null,
    extra: Pick<ItemEvent, 'alignedInput' | 'scaleLowered' | 'damage'> = {},
  ) => d.onItem({ jobId: job.id, photoId: item.photoId, name, outcome, outputs, error, ms, model, ...extra });
  const outcome = await pi.outcome;
  if (outcome.kind === 'skip') {
    finishItem(d.db, item.id, 'skipped');
    if (photo !== null) setPhotoStatus(d.db, photo.id, 'restored');
    report('skipped', outcome.outputs, null);
    return false;
  }
  if (photo === null) {
    finishItem(d.db, item.id, 'failed', 'photo not in library');
    report('failed', [], 'photo not in library');
    return false;
  }
  // A photo that failed before keeps its reason until it succeeds (a cancel must not forget it).
  setPhotoStatus(d.db, photo.id, 'restoring', photo.error);
  try {
    if (outcome.kind === 'error') throw outcome.error;
    const prepared = outcome.prepared;
    if (prepared.detected) {
      replaceFaces(d.db, photo.id, prepared.faces, job.settings.seed);
      setLooksAligned(d.db, photo.id, prepared.looksAligned === true);
    }
    // What the app shows on the photo: what a damaged file was missing, and a lowered scale.
    const scaleNote = scaleNoteOf(prepared.scaleLowered, job.settings.scale);
    const scaleSentence = scaleNote === null ? null : `${scaleNote[0].toUpperCase()}${scaleNote.slice(1)}.`;
    setPhotoNote(d.db, photo.id, [prepared.damage, scaleSentence].filter((n) => n != null).join(' ') || null);
    signal.throwIfAborted();
    const ctx = stageContext(d, pi, signal);
    const restored = await d.processor.restore(prepared, ctx);
    signal.throwIfAborted();
    const done = await finishAndCommit(d, job, item, photo, prepared, restored, ctx);
    const extra = {
      ...(prepared.alignedInput === undefined ? {} : { alignedInput: prepared.alignedInput }),
      ...(prepared.scaleLowered === undefined ? {} : { scaleLowered: prepared.scaleLowered }),
      ...(prepared.damage === undefined ? {} : { damage: prepared.damage }),
    };
    report('restored', done.outputs, null, done.totalMs, restored.model.description, extra);
    return true;
  } catch (err) {
    if (signal.aborted || err instanceof JobFatalError) {
      // Cancelled (or the job stops): the photo is left as it was, never half-written.
      finishItem(d.db, item.id, 'queued');
      setPhotoStatus(d.db, photo.id, 'queued', photo.error);
      if (err instanceof JobFatalError) throw err;
      return false;
    }
    if (err instanceof PhotoCrashedError && recordCrash(d.db, item.id) === 'queued') {
      // The process stopped under this photo: once more in a fresh one (the queue takes it next).
      setPhotoStatus(d.db, photo.id, 'queued');
      return false;
    }
    const message = err instanceof PhotoCrashedError ? CRASHED_MESSAGE : errorMessage(err);
    if (!(err instanceof PhotoCrashedError)) finishItem(d.db, item.id, 'failed', message);
    setPhotoStatus(d.db, photo.id, 'failed', message);
    addResult(d.db, {
      photoId: photo.id,
      settings: job.settings,
      outputPath: null,
      outputs: [],
      timingsMs: { totalMs: performance.now() - t0 },
      modelHash: null,
      photoHash: photo.hash,
      key: null,
      error: message,
    });
    report('failed', [], message);
    return true;
  }
}

/**
 * Writes the photo's files under temporary names, then renames them onto names reserved in
 * the database first: a rerun after a crash reuses the reservation (overwriting only its own
 * files) instead of adding a " (2)" duplicate.
 */
async function finishAndCommit(
  d: PhotoItemDeps,
  job: JobRow,
  item: JobItemRow,
  photo: PhotoRow,
  prepared: Prepared<unknown>,
  restored: { state: unknown; timingsMs: Record<string, number>; model: ModelUsed },
  ctx: StageContext,
): Promise<{ outputs: string[]; totalMs: number }> {
  const { outputFolder } = job;
  const settings = photoSettings(job.settings, photo);
  // The encoder would silently recreate a removed folder (without our database in it).
  checkOutputFolder(outputFolder);
  let names: OutputNames;
  try {
    const taken = reservedOutputs(d.db, outputFolder);
    names =
      item.outputs ??
      (d.replaceOwnOutputs ? ownOutputNames(d.db, photo.id, outputFolder, settings, taken) : null) ??
      chooseOutputNames(outputFolder, photo.path, settings.format, settings.pairs, taken);
  } catch (err) {
    throw folderProblem(outputFolder) ?? err;
  }
  if (item.outputs === null) reserveOutputs(d.db, item.id, names);
  const temp = mapNames(names, tempPathFor);
  const temps = allPaths(temp);
  try {
    const fin = await d.processor.finish(prepared, restored.state, temp, ctx);
    const stages = { ...prepared.timingsMs, ...restored.timingsMs, ...fin.timingsMs };
    // The photo's own cost; with prefetching its wall time overlaps the previous photo's.
    const timingsMs = { ...stages, totalMs: Math.round(Object.values(stages).reduce((a, b) => a + b, 0)) };
    const note = scaleNoteOf(prepared.scaleLowered, settings.scale);
    const scaleNote = note === null ? {} : { note };
    writeSidecar(
      temp.sidecar,
      buildSidecar({
        input: { name: path.basename(photo.path), sha256: photo.hash, size: photo.size, ...(prepared.damage === undefined ? {} : { damage: prepared.damage }) },
        output: { image: names.image, pairs: pairPaths(names), scale: prepared.scaleLowered?.scale ?? settings.scale, ...scaleNote },
        settings,
        model: restored.model,
        faces: prepared.faces.map((f, index) => ({ index, ...f })),
        timingsMs,
        ...(prepared.repair === undefined ? {} : { repair: prepared.repair }),
        ...(prepared.colour === undefined ? {} : { colour: prepared.colour }),
      }),
    );
    ctx.signal.throwIfAborted();
    // mapNames keeps the group's shape, so both lists are in the same order.
    commitFiles(allPaths(names).map((final, i) => ({ final, temp: temps[i] })));
    const outputs = allPaths(names);
    // A photo without faces never loads the model: record the one it would have used, or a
    // rerun would not see it as done and write it again under a " (2)" name.
    const modelHash = restored.model.sha256 ?? (await d.processor.modelSha256(settings));
    d.db.transaction(() => {
      const resultId = addResult(d.db, {
        photoId: photo.id,
        settings,
        outputPath: names.image,
        outputs,
        timingsMs,
        modelHash,
        photoHash: photo.hash,
        // The faces as restored (the stored ones, or those just detected and stored above).
        key: photoResultKey(job.settings, photo, d.faces === 'stored' ? prepared.faces : null),
        error: null,
        // The summary's note: a lowered scale, and what a damaged file was missing.
        note: [note, prepared.damage].filter((n) => n != null).join(' ') || null,
      });
      releaseOverwritten(d.db, photo.id, resultId, outputs);
      finishItem(d.db, item.id, 'done');
      setPhotoStatus(d.db, photo.id, 'restored');
    })();
    return { outputs, totalMs: timingsMs.totalMs };
  } catch (err) {
    discardFiles(temps);
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new JobFatalError(`the disk holding ${outputFolder} is full`);
    throw folderProblem(outputFolder) ?? err;
  }
}

/**
 * The names of the photo's last result when it lies in this folder, for these settings' format
 * and pairs: restoring again replaces those files. Null when any of the names is taken by a
 * file that result did not write, or reserved by another photo.
 */
function ownOutputNames(db: LibraryDb, photoId: number, folder: string, settings: RestoreSettings, taken: ReadonlySet<string>): OutputNames | null {
  const last = latestResult(db, photoId);
  if (last === null || last.outputPath === null || path.dirname(last.outputPath) !== path.resolve(folder)) return null;
  const suffix = `.restored.${extensionFor(settings.format)}`;
  const base = path.basename(last.outputPath);
  if (!base.endsWith(suffix)) return null;
  const names = namesFor(path.resolve(folder), base.slice(0, -suffix.length), settings.format, settings.pairs);
  const own = new Set(last.outputs);
  const free = (p: string) => own.has(p) || (!existsSync(p) && !taken.has(p));
  return allPaths(names).every(free) ? names : null;
}

/** The line the CLI, the summary and the sidecar give for a photo written at a lower scale than asked. */
export function scaleNoteOf(lowered: ItemEvent['scaleLowered'], asked: number): string | null {
  return lowered === undefined ? null : `written at ${lowered.scale}x instead of ${asked}x: ${lowered.reason}`;
}
