/**
 * Damage masks on disk: an 8-bit gray PNG at the photo's size, white = repaired. Written atomically
 * and never over an input; read back (any size is resized to the photo's, any gray level above half
 * counts as damage) for the user's edited masks.
 */
import sharp from 'sharp';
import { writeFileAtomic } from '../../../util/atomic-file.ts';
import { UserError } from '../../../util/errors.ts';
import { assertNotInput } from '../encode.ts';

export async function writeDamageMask(mask: Uint8Array, width: number, height: number, file: string, protect: readonly string[] = []): Promise<void> {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} pixels, expected ${width}x${height}`);
  await assertNotInput(file, protect);
  await writeFileAtomic(file, (temp) => sharp(mask, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toFile(temp));
}

export async function readDamageMask(file: string, width: number, height: number): Promise<Uint8Array> {
  try {
    const { data } = await sharp(file)
      .flatten({ background: '#000000' })
      .toColourspace('b-w')
      .resize(width, height, { fit: 'fill', kernel: 'nearest' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const out = new Uint8Array(width * height);
    for (let i = 0; i < out.length; i++) out[i] = data[i] >= 128 ? 255 : 0;
    return out;
  } catch (err) {
    throw new UserError(`cannot read the damage mask ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
}
