import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { OutputFormat } from '../../../src-shared/settings.ts';
import { findImages } from '../../util/find-images.ts';
import { UserError } from '../../util/errors.ts';
import { decodePhoto } from '../../worker/pipeline/decode.ts';
import { detectFaces } from '../../worker/pipeline/detect.ts';
import { encodePhoto } from '../../worker/pipeline/encode.ts';
import { correctColour } from '../../worker/pipeline/repair/colour.ts';
import { writeDamageMask } from '../../worker/pipeline/repair/mask-file.ts';
import { protectFaces, repairDamage } from '../../worker/pipeline/repair/repair.ts';

/**
 * `heirloom repair <files|folders> -o <dir> [--save-mask] [--fix-colour]`: scratches, cracks, dust and hairs found
 * and filled in, no model needed. Writes `<name>.repaired.<ext>` (and `<name>.damage-mask.png`,
 * white = repaired, at the photo's size) into the output folder; inputs are never written.
 * Faces are detected first only so that their features and catchlights are not taken for damage.
 */

interface RepairCliOptions {
  output: string;
  saveMask?: boolean;
  fixColour?: boolean;
  recursive?: boolean;
  json?: boolean;
}

interface RepairEntry {
  path: string;
  output?: string;
  mask?: string;
  width?: number;
  height?: number;
  /** Pixels repaired, and as a fraction of the photo. */
  repairedPixels?: number;
  repairedFraction?: number;
  lines?: number;
  specks?: number;
  ms?: number;
  /** With --fix-colour: whether the colours were corrected (or why not) and the cast before and after. */
  colour?: { corrected: boolean; reason?: string; castBefore: number; castAfter: number };
  error?: string;
}

const FORMAT_BY_EXT: Record<string, OutputFormat> = { '.jpg': 'jpg', '.jpeg': 'jpg', '.png': 'png', '.tif': 'tiff', '.tiff': 'tiff', '.webp': 'webp' };

/** Same format as the input where it can be written; otherwise PNG (lossless). */
export function repairedName(input: string): { name: string; format: OutputFormat } {
  const ext = path.extname(input);
  const stem = path.basename(input, ext);
  const format = FORMAT_BY_EXT[ext.toLowerCase()];
  return format ? { name: `${stem}.repaired${ext}`, format } : { name: `${stem}.repaired.png`, format: 'png' };
}

export function register(program: Command): void {
  program
    .command('repair')
    .description('Find and fill in scratches, cracks, dust and hairs on scanned prints (no model needed)')
    .argument('<inputs...>', 'image files or folders')
    .requiredOption('-o, --output <dir>', 'output folder')
    .option('--save-mask', 'also write <name>.damage-mask.png (white = repaired)')
    .option('--fix-colour', 'also correct fading and colour casts of colour prints (gray and toned prints keep their tone)')
    .option('-r, --recursive', 'walk subfolders')
    .option('--json', 'print JSON instead of a table')
    .action(async (inputs: string[], opts: RepairCliOptions) => {
      const out = path.resolve(opts.output);
      const found = await findImages(inputs, { recursive: opts.recursive, exclude: [out] });
      if (found.files.length === 0 && found.failed.length === 0) throw new UserError('no images found in the given files or folders');
      mkdirSync(out, { recursive: true });
      const entries: RepairEntry[] = found.failed.map((f) => ({ path: f.name, error: f.error }));
      const taken = new Set<string>();
      for (const file of found.files) {
        const { name, format } = repairedName(file);
        const stem = path.basename(file, path.extname(file));
        const entry: RepairEntry = { path: file };
        entries.push(entry);
        try {
          if (taken.has(name)) throw new UserError(`another input already writes ${name} into ${out}; repair them into different folders`);
          taken.add(name);
          const photo = await decodePhoto(file);
          const faces = await detectFaces(photo.image);
          let pixels = photo.image;
          if (opts.fixColour) {
            const c = correctColour(pixels, photo.tone);
            pixels = c.image;
            const r2 = (v: number) => Math.round(v * 100) / 100;
            entry.colour = { corrected: c.corrected, ...(c.reason === undefined ? {} : { reason: c.reason }), castBefore: r2(c.castBefore), castAfter: r2(c.castAfter) };
          }
          const result = await repairDamage(pixels, protectFaces(faces));
          const target = path.join(out, name);
          await encodePhoto(result.image, target, photo, { format, quality: 95, protect: found.files }, photo.alpha);
          entry.output = target;
          if (opts.saveMask) {
            entry.mask = path.join(out, `${stem}.damage-mask.png`);
            await writeDamageMask(result.mask, photo.image.width, photo.image.height, entry.mask, found.files);
          }
          Object.assign(entry, {
            width: photo.image.width,
            height: photo.image.height,
            repairedPixels: result.pixels,
            repairedFraction: Math.round((1e5 * result.pixels) / (photo.image.width * photo.image.height)) / 1e5,
            lines: result.lines,
            specks: result.specks,
            ms: Math.round(result.ms),
          });
        } catch (err) {
          if (!(err instanceof Error)) throw err;
          entry.error = err.message;
        }
      }
      if (opts.json) process.stdout.write(JSON.stringify({ images: entries }) + '\n');
      else {
        for (const e of entries) {
          if (e.error !== undefined) process.stdout.write(`${e.path}: ERROR ${e.error}\n`);
          else {
            const pct = (100 * (e.repairedFraction ?? 0)).toFixed(2);
            const colour = e.colour === undefined ? '' : e.colour.corrected ? `, colours corrected (cast ${e.colour.castBefore} -> ${e.colour.castAfter})` : `, colours kept: ${e.colour.reason}`;
            process.stdout.write(`${e.path} -> ${e.output}  ${pct} % repaired (${e.lines} lines, ${e.specks} specks)${colour}${e.mask ? `, mask ${e.mask}` : ''}\n`);
          }
        }
      }
      if (entries.some((e) => e.error !== undefined)) process.exitCode = 1;
    });
}
