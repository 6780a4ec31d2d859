/** Print damage of one photo, for the viewer's mask overlay (the restore runs it in its own stage). */
import { decodePhoto } from '../pipeline/decode.ts';
import { detectFaces } from '../pipeline/detect.ts';
import { writeDamageMask } from '../pipeline/repair/mask-file.ts';
import { detectDamage } from '../pipeline/repair/detect-damage.ts';
import { protectFaces } from '../pipeline/repair/repair.ts';
import type { Handlers } from './context.ts';

export const repairHandlers: Handlers<'damageMask'> = {
  damageMask: async ({ path, outPath }, ctx) => {
    ctx.progress('decode', 0);
    const photo = await decodePhoto(path);
    ctx.progress('detect', 0);
    const faces = await detectFaces(photo.image);
    ctx.progress('repair', 0);
    const { width, height } = photo.image;
    const found = await detectDamage(photo.image, protectFaces(faces));
    await writeDamageMask(found.mask, width, height, outPath, [path]);
    return { width, height, pixels: found.pixels };
  },
};
