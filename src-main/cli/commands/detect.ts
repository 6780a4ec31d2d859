import type { Command } from 'commander';
import { statSync } from 'node:fs';
import type { DetectedFace } from '../../../src-shared/faces.ts';
import { faceTransform } from '../../worker/pipeline/align.ts';
import { decodePhoto } from '../../worker/pipeline/decode.ts';
import { DEFAULT_MIN_CONFIDENCE, detectFaces } from '../../worker/pipeline/detect.ts';
import { findImages } from '../../util/find-images.ts';
import { UserError } from '../../util/errors.ts';

/** `heirloom detect <images...> [--json]`: faces, boxes and alignment points, in upright coordinates. */

interface ImageEntry {
  path: string;
  width?: number;
  height?: number;
  faces?: JsonFace[];
  error?: string;
}

interface JsonFace {
  box: [number, number, number, number];
  score: number;
  points: [number, number][];
  /** The transform to the 512 aligned crop: crop = toCrop . [x, y, 1] in the upright photo's pixels. */
  toCrop: [[number, number, number], [number, number, number]];
  skipped?: 'too-small';
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** The alignment the restore uses (align.ts), as rows [[a, b, c], [d, e, f]] at the model's 512. */
function cropMatrix(f: DetectedFace): JsonFace['toCrop'] {
  const [a, b, c, d, e, g] = faceTransform(f, 512);
  return [[r6(a), r6(b), r6(c)], [r6(d), r6(e), r6(g)]];
}

function toJson(f: DetectedFace): JsonFace {
  const out: JsonFace = {
    box: [r2(f.box[0]), r2(f.box[1]), r2(f.box[2]), r2(f.box[3])],
    score: Math.round(f.score * 1000) / 1000,
    points: f.points.map(([x, y]): [number, number] => [r2(x), r2(y)]),
    toCrop: cropMatrix(f),
  };
  if (f.skipped) out.skipped = f.skipped;
  return out;
}

function table(entries: ImageEntry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    if (e.error !== undefined) {
      lines.push(`${e.path}: ERROR ${e.error}`);
      continue;
    }
    const faces = e.faces ?? [];
    const skipped = faces.filter((f) => f.skipped).length;
    lines.push(`${e.path}  ${e.width}x${e.height}  ${faces.length} face(s)${skipped ? `, ${skipped} too small to restore` : ''}`);
    faces.forEach((f, i) => {
      const [x, y, w, h] = f.box.map((v) => Math.round(v));
      const eyes = Math.round(Math.hypot(f.points[1][0] - f.points[0][0], f.points[1][1] - f.points[0][1]));
      lines.push(
        `  #${i + 1}  box ${x},${y} ${w}x${h}  score ${f.score.toFixed(2)}  eyes ${eyes}px apart${f.skipped ? '  (skipped: too small)' : ''}`,
      );
    });
  }
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('detect')
    .description('Find the faces in photos (box, score, eye/nose/mouth points in upright pixel coordinates; with --json also each face\'s transform to the 512 aligned crop)')
    .argument('<images...>', 'image files or folders')
    .option('--json', 'print JSON instead of a table')
    .option('--min-confidence <p>', 'detector score threshold (0..1)', String(DEFAULT_MIN_CONFIDENCE))
    .action(async (images: string[], opts: { json?: boolean; minConfidence: string }) => {
      const minConfidence = Number(opts.minConfidence);
      if (!Number.isFinite(minConfidence) || minConfidence <= 0 || minConfidence >= 1) {
        throw new UserError(`--min-confidence must be a number between 0 and 1, got ${opts.minConfidence}`);
      }
      // Folders give their image files; a missing or broken file gets its own error entry below.
      const files: string[] = [];
      for (const arg of images) {
        if (statSync(arg, { throwIfNoEntry: false })?.isDirectory()) files.push(...(await findImages([arg])).files);
        else files.push(arg);
      }
      const entries: ImageEntry[] = [];
      for (const file of files) {
        try {
          const photo = await decodePhoto(file);
          const faces = await detectFaces(photo.image, { minConfidence });
          entries.push({ path: file, width: photo.image.width, height: photo.image.height, faces: faces.map(toJson) });
        } catch (err) {
          if (!(err instanceof UserError) && !(err instanceof Error)) throw err;
          entries.push({ path: file, error: err.message });
        }
      }
      process.stdout.write(opts.json ? JSON.stringify({ images: entries }) + '\n' : table(entries));
      if (entries.some((e) => e.error !== undefined)) process.exitCode = 1;
    });
}
