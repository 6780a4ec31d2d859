/**
 * Architecture configs of PMRF's two networks, in the `meta.json` "config" format of the
 * parity vectors, and the named presets. Shapes that cannot be read from a checkpoint
 * (attention kinds, kernel size) come from here.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../../util/errors.ts';

const hditSchema = z.object({
  widths: z.array(z.number().int().positive()).min(1),
  depths: z.array(z.number().int().positive()).min(1),
  d_head: z.number().int().positive(),
  kernel_size: z.number().int().positive().refine((k) => k % 2 === 1, 'kernel_size must be odd'),
  attn: z.array(z.enum(['neighborhood', 'global'])).min(1),
  mapping_depth: z.number().int().positive(),
  mapping_width: z.number().int().positive(),
  patch_size: z.number().int().positive(),
  d_ff_mult: z.number().int().positive(),
});

const swinirSchema = z.object({
  embed_dim: z.number().int().positive(),
  depths: z.array(z.number().int().positive()).min(1),
  num_heads: z.array(z.number().int().positive()).min(1),
  window_size: z.number().int().positive(),
  mlp_ratio: z.number().positive(),
  unshuffle_scale: z.number().int().positive(),
  /** Token grid side the checkpoint's stored attention masks were made for. */
  img_size_tokens: z.number().int().positive(),
});

export const archSchema = z
  .object({
    hdit: hditSchema,
    swinir: swinirSchema,
    /** Image side the vectors were computed at (the build size may differ). */
    image_size: z.number().int().positive(),
  })
  .superRefine((c, ctx) => {
    const h = c.hdit;
    if (h.depths.length !== h.widths.length || h.attn.length !== h.widths.length) {
      ctx.addIssue({ code: 'custom', message: 'hdit widths, depths and attn must have the same length' });
    }
    if (h.widths.some((w) => w % h.d_head !== 0)) ctx.addIssue({ code: 'custom', message: 'hdit widths must be multiples of d_head' });
    if (h.d_head % 4 !== 0) ctx.addIssue({ code: 'custom', message: 'hdit d_head must be a multiple of 4 (axial RoPE)' });
    const s = c.swinir;
    if (s.depths.length !== s.num_heads.length) ctx.addIssue({ code: 'custom', message: 'swinir depths and num_heads must have the same length' });
    if (s.embed_dim % s.num_heads[0] !== 0) ctx.addIssue({ code: 'custom', message: 'swinir embed_dim must divide by num_heads' });
  });

export type ArchConfig = z.infer<typeof archSchema>;
export type HditConfig = ArchConfig['hdit'];
export type SwinirConfig = ArchConfig['swinir'];

/** The published blind-face model: HDiT ImageNet256Sp4 + SwinIR L at 512x512. */
export const PRESETS: Record<string, ArchConfig> = {
  'pmrf-blind-face-512': {
    hdit: {
      widths: [256, 512, 1024],
      depths: [2, 2, 8],
      d_head: 64,
      kernel_size: 7,
      attn: ['neighborhood', 'neighborhood', 'global'],
      mapping_depth: 2,
      mapping_width: 768,
      patch_size: 4,
      d_ff_mult: 3,
    },
    swinir: {
      embed_dim: 180,
      depths: [6, 6, 6, 6, 6, 6, 6, 6],
      num_heads: [6, 6, 6, 6, 6, 6, 6, 6],
      window_size: 8,
      mlp_ratio: 2,
      unshuffle_scale: 8,
      img_size_tokens: 64,
    },
    image_size: 512,
  },
};

export const DEFAULT_PRESET = 'pmrf-blind-face-512';

/** Parses a config object (meta.json's `config`, or meta.json itself). */
export function parseArch(value: unknown, origin: string): ArchConfig {
  const candidate = typeof value === 'object' && value !== null && 'config' in value ? (value as { config: unknown }).config : value;
  const r = archSchema.safeParse(candidate);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
    throw new UserError(`${origin} is not a valid PMRF architecture config: ${issues}`);
  }
  return r.data;
}

/** Resolves `--arch`: a preset name or a path to a meta.json / config JSON file. */
export function resolveArch(arch: string | undefined): { config: ArchConfig; name: string } {
  const name = arch ?? DEFAULT_PRESET;
  const preset = PRESETS[name];
  if (preset !== undefined) return { config: preset, name };
  let text: string;
  try {
    text = readFileSync(name, 'utf8');
  } catch {
    throw new UserError(`--arch ${name}: neither a preset (${Object.keys(PRESETS).join(', ')}) nor a readable JSON file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`--arch ${name}: invalid JSON (${(err as Error).message})`);
  }
  return { config: parseArch(json, name), name };
}
