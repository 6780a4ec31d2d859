/**
 * The pipeline's stages, grouped in the three steps the batch queue overlaps (it prepares the next
 * photo while the model restores the current one):
 *   preparePhoto = decode + detect + align
 *   restorePrepared = the model
 *   finishPhoto  = scale + paste + encode (+ before/after pairs)
 * `restorePhoto` (restore-photo.ts) runs them back to back; the queue's processor
 * (jobs/photo-stages.ts) runs them as separate steps. Cancellation is checked by the caller's
 * StageRunner before each stage, and by align and paste between faces.
 */
import path from 'node:path';
import type { DetectedFace } from '../../../src-shared/faces.ts';
import type { OutputFormat } from '../../../src-shared/settings.ts';
import type { ColourReport, RepairReport } from '../../../src-shared/worker-protocol.ts';
import { type AlignedFaces, alignFaces } from './align.ts';
import { type AlignedMode, alignedFaceOf, looksAligned } from './aligned-input.ts';
import { type DecodedPhoto, decodePhoto, readImageHeader } from './decode.ts';
import { type DetectOptions, detectFaces } from './detect.ts';
import { type EncodeOptions, encodePhoto } from './encode.ts';
import type { FaceRestorer, RestoreOptions, RestoredFaces } from './face-restorer.ts';
import { consistencySpecs } from './consistency.ts';
import { composeAffine, invertAffine } from './geometry.ts';
import { type PairTargets, writePairs } from './pairs.ts';
import { type OutputPlan, type OutputRequest, planOutput } from './output-plan.ts';
import { type FaceToPaste, pasteFaces } from './paste.ts';
import { type Raster, cloneRaster } from './raster.ts';
import { correctColour } from './repair/colour.ts';
import { faceMasks, protectFaces, repairDamage } from './repair/repair.ts';
import { restoreFaces } from './restore-faces.ts';
import { photoToOutput, scaleAlpha, scaleRaster } from './scale.ts';

export const STAGES = ['decode', 'detect', 'colour', 'repair', 'align', 'restore', 'scale', 'paste', 'encode'] as const;
export type Stage = (typeof STAGES)[number];

/** Runs one stage: the caller checks cancellation, reports progress and times it. */
export type StageRunner = <T>(stage: Stage, fn: () => Promise<T> | T) => Promise<T>;

export interface PrepareOptions {
  /** Side of the aligned faces (the restorer's faceSize). */
  faceSize: number;
  /** Use these faces instead of running the detector (e.g. stored or edited by the user). */
  faces?: readonly DetectedFace[];
  /** Whether face `i` of the given faces is restored (default: all); skipped faces never are. */
  include?: (index: number) => boolean;
  detect?: DetectOptions;
  /**
   * Treat the photo as one aligned face (resized to faceSize, restored whole): 'always' (the user
   * said so; the detector does not run), 'auto' (when the detected face already sits on the
   * template: looksAligned), 'never' (default).
   */
  aligned?: AlignedMode;
  maxPixels?: number;
  /** What will be written: the scale is planned (and lowered if it must be) before decoding. */
  output?: OutputRequest;
  /** Repair print damage after detection, before alignment (`mask`: the user's, instead of the detector). */
  repair?: { mask?: Uint8Array | ((width: number, height: number) => Promise<Uint8Array>) };
  /** Correct fading and colour casts of a colour print (before the repair). */
  fixColour?: boolean;
  signal?: AbortSignal;
}

export interface PreparedPhoto {
  photo: DecodedPhoto;
  /** Every face, detected or given. */
  faces: readonly DetectedFace[];
  /** True when `faces` are new (from the detector, or the aligned photo's one face), not given. */
  detected: boolean;
  /** Indices into `faces` of the faces aligned for the model, in batch order. */
  restoredIdx: number[];
  aligned: AlignedFaces;
  /** Set when the photo is restored as one aligned face: the user asked, or it looked like one. */
  alignedInput?: 'asked' | 'offered';
  /** The output plan (with PrepareOptions.output): the scale used and why it is lower than asked. */
  output?: OutputPlan;
  /** The detector ran and found one face sitting on the template of a square photo (looksAligned). */
  looksAligned: boolean;
  /** What the repair did (with PrepareOptions.repair); `mask` = the pixels repaired (255). */
  repair?: RepairReport & { maskPixels: Uint8Array };
  /** What the colour correction did (with PrepareOptions.fixColour). */
  colour?: ColourReport;
  /** The decoded photo before colour correction and repair (set when either ran). */
  original?: Raster;
}

/** decode + detect (unless faces are given) + align. */
export async function preparePhoto(inputPath: string, run: StageRunner, options: PrepareOptions): Promise<PreparedPhoto> {
  const { output: request } = options;
  const { photo, output } = await run('decode', async () => {
    // The plan comes from the header: a photo whose output cannot be written fails before decoding.
    const header = await readImageHeader(inputPath, { maxPixels: options.maxPixels });
    const plan = request === undefined ? undefined : planOutput(path.basename(inputPath), header, request);
    return { photo: await decodePhoto(inputPath, { maxPixels: options.maxPixels }), output: plan };
  });
  const { width, height } = photo.image;
  const mode = options.aligned ?? 'never';
  let alignedInput: PreparedPhoto['alignedInput'];
  let faces: readonly DetectedFace[];
  let looks = false;
  if (mode === 'always') {
    faces = [alignedFaceOf(width, height, path.basename(inputPath))];
    alignedInput = 'asked';
  } else {
    faces = options.faces ?? (await run('detect', () => detectFaces(photo.image, options.detect)));
    looks = options.faces === undefined && looksAligned(width, height, faces);
    if (mode === 'auto' && looks) {
      faces = [alignedFaceOf(width, height)];
      alignedInput = 'offered';
    }
  }
  // The photo's pixels from here on are the corrected and repaired ones: faces are aligned from
  // them, and they are the background the restored faces are pasted onto.
  const original = options.fixColour || options.repair !== undefined ? photo.image : undefined;
  let colour: ColourReport | undefined;
  if (options.fixColour) {
    const c = await run('colour', () => correctColour(photo.image, photo.tone));
    photo.image = c.image;
    colour = { corrected: c.corrected, ...(c.reason === undefined ? {} : { reason: c.reason }), ...(c.levels === undefined ? {} : { levels: c.levels }), castBefore: round2(c.castBefore), castAfter: round2(c.castAfter) };
  }
  let repair: PreparedPhoto['repair'];
  if (options.repair !== undefined) {
    const want = options.repair;
    const r = await run('repair', async () => {
      const mask = typeof want.mask === 'function' ? await want.mask(width, height) : want.mask;
      return repairDamage(photo.image, { ...protectFaces(faces), mask });
    });
    photo.image = r.image;
    repair = { pixels: r.pixels, fraction: Math.round((1e6 * r.pixels) / (width * height)) / 1e6, lines: r.lines, specks: r.specks, mask: r.maskSource, maskPixels: r.mask };
  }
  const given = alignedInput === undefined ? options.faces : undefined;
  const include = alignedInput === undefined ? (options.include ?? (() => true)) : () => true;
  const restoredIdx = faces.flatMap((f, i) => (include(i) && f.skipped === undefined ? [i] : []));
  const aligned = await run('align', () =>
    alignFaces(photo.image, restoredIdx.map((i) => faces[i]), options.faceSize, options.signal),
  );
  return {
    photo,
    faces,
    detected: given === undefined,
    restoredIdx,
    aligned,
    ...(alignedInput === undefined ? {} : { alignedInput }),
    ...(output === undefined ? {} : { output }),
    looksAligned: looks,
    ...(repair === undefined ? {} : { repair }),
    ...(colour === undefined ? {} : { colour }),
    ...(original === undefined ? {} : { original }),
  };
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** How the consistency guidance applies to a photo: its strength λ (0 = off) and any damage masks. */
export interface ConsistencyRequest {
  lambda: number;
  /** Per aligned face, [S*S] crop pixels, 1 = damaged (left out of the comparison), or null. */
  masks?: readonly (Uint8Array | null)[];
}

/** The model on a photo's aligned faces (one batch); small faces are guided when λ > 0. */
export function restorePrepared(
  run: StageRunner,
  restorer: FaceRestorer,
  prepared: PreparedPhoto,
  options: Omit<RestoreOptions, 'consistency'>,
  consistency?: ConsistencyRequest,
): Promise<RestoredFaces> {
  // Repaired pixels are not evidence of the face: the guidance leaves them out (unless told otherwise).
  const { repair, photo, aligned } = prepared;
  const masksOf = (c: ConsistencyRequest) =>
    c.masks ?? (repair === undefined ? undefined : faceMasks(repair.maskPixels, photo.image.width, photo.image.height, aligned.transforms, aligned.size));
  const guided =
    consistency !== undefined && consistency.lambda > 0
      ? { consistency: { lambda: consistency.lambda, faces: consistencySpecs(aligned, photo.tone.kind, masksOf(consistency)) } }
      : {};
  return run('restore', () => restoreFaces(restorer, prepared.aligned, { ...options, ...guided }));
}

export interface FinishOptions {
  /** The scale asked for; the photo is written at the output plan's (planOutput), which may be lower. */
  scale: number;
  format: OutputFormat;
  quality: number;
  /** Paths the output must never replace (the input). */
  protect: string[];
  /** Before/after pair files to write next to the output (paths from export/naming.ts). */
  pairs?: Omit<PairTargets, 'image'>;
  /** Write "Before" / "After" on the side-by-side pair. */
  pairLabels?: boolean;
  /** Keep the unrestored photo at the output scale in the result. */
  keepBefore?: boolean;
  signal?: AbortSignal;
}

export interface FinishedPhoto {
  /** The scale used (the plan's). */
  scale: number;
  /** The restored photo at the output scale. */
  after: Raster;
  /** The photo before restoration at the output scale (with keepBefore or pairs). */
  before?: Raster;
  /** Pair files written. */
  pairs: string[];
}

/** scale + paste + encode to `outputPath` (+ pairs). */
export async function finishPhoto(
  run: StageRunner,
  prepared: PreparedPhoto,
  restored: RestoredFaces,
  outputPath: string,
  options: FinishOptions,
): Promise<FinishedPhoto> {
  const { photo, aligned } = prepared;
  const pairs = options.pairs?.sideBySide ? 'side-by-side' : options.pairs?.before || options.pairs?.after ? 'files' : 'none';
  const header = { width: photo.image.width, height: photo.image.height, depth: photo.image.depth, hasAlpha: photo.alpha !== undefined };
  // Planned again from the decoded photo: no caller can make the encoder take more than it can.
  const k = planOutput(path.basename(photo.path), header, { scale: options.scale, format: options.format, pairs }).scale;
  const background = await run('scale', () => scaleRaster(photo.image, k));
  const alpha = photo.alpha === undefined ? undefined : await scaleAlpha(photo.alpha, photo.image.width, photo.image.height, k);
  const pairFiles = [options.pairs?.sideBySide, options.pairs?.before, options.pairs?.after].filter((p): p is string => typeof p === 'string');
  // Pasting works in place: keep an unrestored copy for the pairs.
  // "Before" is the photo as scanned: without the repair and colour correction too.
  const wantBefore = options.keepBefore || pairFiles.length > 0;
  const before = !wantBefore ? undefined : prepared.original === undefined ? cloneRaster(background) : await scaleRaster(prepared.original, k);
  await run('paste', () => {
    const size = aligned.size;
    const plane = 3 * size * size;
    const outToPhoto = invertAffine(photoToOutput(k));
    const faces: FaceToPaste[] = aligned.transforms.map((t, i) => ({
      restored: restored.restored.subarray(i * plane, (i + 1) * plane),
      original: aligned.faces.subarray(i * plane, (i + 1) * plane),
      outToFace: composeAffine(t, outToPhoto),
      size,
      // An aligned photo is its face: the restored face replaces all of it, no feathered border.
      whole: prepared.alignedInput !== undefined,
    }));
    return pasteFaces(background, faces, photo.tone.kind, options.signal);
  });
  const encode: EncodeOptions = { format: options.format, quality: options.quality, scale: k, protect: options.protect };
  await run('encode', async () => {
    await encodePhoto(background, outputPath, photo, encode, alpha);
    if (before !== undefined && options.pairs !== undefined && pairFiles.length > 0) {
      await writePairs(before, background, photo, encode, { image: outputPath, ...options.pairs }, { labels: options.pairLabels });
    }
  });
  return { scale: k, after: background, before, pairs: pairFiles };
}
