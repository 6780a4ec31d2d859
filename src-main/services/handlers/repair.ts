/** photos:damageMask / photos:setDamageMask — the damage mask the viewer shows and the user edits. */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ServiceError } from '../errors.ts';
import type { ChannelHandlers, ServiceContext } from '../context.ts';

type RepairChannel = 'photos:damageMask' | 'photos:setDamageMask';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PREFIX = 'data:image/png;base64,';

/** The PNG bytes of a data URL; refuses anything that is not a PNG (the worker decodes it when used). */
export function pngOfDataUrl(url: string): Uint8Array {
  const bytes = Buffer.from(url.slice(PREFIX.length), 'base64');
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) throw new ServiceError('invalid-arguments', 'the damage mask is not a PNG image');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function pngSize(png: Uint8Array): { width: number; height: number } {
  // IHDR follows the signature: length, "IHDR", width, height (big-endian).
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return png.length >= 24 ? { width: v.getUint32(16), height: v.getUint32(20) } : { width: 0, height: 0 };
}

export function repairHandlers(c: ServiceContext): ChannelHandlers<RepairChannel> {
  const lib = c.library;
  return {
    'photos:damageMask': async ({ photoId }) => {
      const file = c.photoFile(photoId);
      const edited = lib.damageMaskPath(photoId);
      if (edited !== null) {
        const png = await readFile(edited);
        return { png: PREFIX + png.toString('base64'), ...pngSize(png), edited: true };
      }
      const out = path.join(os.tmpdir(), `heirloom-mask-${process.pid}-${randomBytes(6).toString('hex')}.png`);
      try {
        const { width, height } = await c.deps.inference.damageMask(file, out);
        const png = await readFile(out);
        return { png: PREFIX + png.toString('base64'), width, height, edited: false };
      } finally {
        await rm(out, { force: true });
      }
    },
    'photos:setDamageMask': async ({ photoId, png }) => {
      c.photoFile(photoId);
      lib.setDamageMask(photoId, png === null ? null : pngOfDataUrl(png));
      c.changed([photoId]);
      return c.detail(photoId);
    },
  };
}
