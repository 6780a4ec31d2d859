import sharp from 'sharp';
import { decodePhoto } from './src-main/worker/pipeline/decode.ts';
import { correctColour } from './src-main/worker/pipeline/repair/colour.ts';
import { rgbToYcc } from './src-main/worker/pipeline/raster.ts';
function contrast(img: any) { const ys: number[] = []; for (let i = 0; i < img.width * img.height; i += 7) ys.push(0.299 * img.data[3*i] + 0.587 * img.data[3*i+1] + 0.114 * img.data[3*i+2]); ys.sort((a,b)=>a-b); return ys[Math.floor(0.99*ys.length)] - ys[Math.floor(0.01*ys.length)]; }
function meanDiff(a: any, b: any) { let s = 0; for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i] - b.data[i]); return s / a.data.length; }
for (const f of process.argv.slice(2)) {
  const p = await decodePhoto('/work/shared/fixtures/' + f);
  const r = correctColour(p.image, p.tone);
  console.log(f, p.tone.kind, r.corrected, r.reason ?? '', 'cast', r.castBefore.toFixed(1), '->', r.castAfter.toFixed(1), 'contrast', contrast(p.image).toFixed(0), '->', contrast(r.image).toFixed(0), 'mean |diff|', meanDiff(p.image, r.image).toFixed(1), JSON.stringify(r.levels));
  await sharp(Buffer.from(r.image.data.buffer), { raw: { width: p.image.width, height: p.image.height, channels: 3 } }).png().toFile('/tmp/rv/col-' + f.replace(/.*\//, '').replace(/\..*/, '') + '.png');
}
