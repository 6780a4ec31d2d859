import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { namesFor } from '../../src-main/export/naming.ts';
import { alignFaces } from '../../src-main/worker/pipeline/align.ts';
import { decodePhoto, detectTone } from '../../src-main/worker/pipeline/decode.ts';
import { parseExif } from '../../src-main/worker/pipeline/exif.ts';
import { type Affine, FFHQ_TEMPLATE_512, applyAffine, invertAffine } from '../../src-main/worker/pipeline/geometry.ts';
import { pasteFaces } from '../../src-main/worker/pipeline/paste.ts';
import { type Raster, createRaster } from '../../src-main/worker/pipeline/raster.ts';
import { type RestorePhotoResult, type Settings, restorePhoto } from '../../src-main/worker/pipeline/restore-photo.ts';
import { photoToOutput, scaleRaster } from '../../src-main/worker/pipeline/scale.ts';
import { isTempName } from '../../src-main/util/atomic-file.ts';
import { brightenRestorer, identityRestorer, tintRestorer } from '../helpers/pipeline-restorers.ts';
import { sharedPath } from '../helpers/shared.ts';

const photos = sharedPath('fixtures', 'photos');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'heirloom-restore-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const PNG1: Settings = { steps: 1, fidelity: 1, sampler: 'euler', strength: 1, consistency: 0, seed: 0, scale: 1, format: 'png', quality: 92 };

/** A 16-bit photo, black with one Gaussian blob (value 1 at the centre) at continuous (cx, cy). */
function blobPhoto(w: number, h: number, cx: number, cy: number, sigma: number): Raster {
  const r = createRaster(w, h, 16);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = Math.round(65535 * Math.exp(-((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2) / (2 * sigma * sigma)));
      const o = (y * w + x) * 3;
      r.data[o] = v;
      r.data[o + 1] = v;
      r.data[o + 2] = v;
    }
  }
  return r;
}

function centroid(values: (i: number) => number, w: number, h: number): [number, number] {
  let sx = 0, sy = 0, s = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = values(y * w + x);
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
      s += v;
    }
  }
  return [sx / s, sy / s];
}

function similarity(scale: number, angle: number, tx: number, ty: number): Affine {
  return [scale * Math.cos(angle), -scale * Math.sin(angle), tx, scale * Math.sin(angle), scale * Math.cos(angle), ty];
}

for (const [label, scale] of [
  ['face smaller than 512 (upscaled)', 3.1],
  ['face far smaller than 512 (reduced before the paste)', 7.3],
  ['face larger than 512 (antialiased)', 0.45],
] as const) {
  test(`align -> paste round trip keeps exact geometry: ${label}`, async () => {
    const W = 1400, H = 1300;
    // photo -> face transform, rotated by 0.3 rad, putting photo point (700, 650) at face (256, 280).
    const r = similarity(scale, 0.3, 0, 0);
    const toFace: Affine = [r[0], r[1], 256 - (r[0] * 700 + r[1] * 650), r[3], r[4], 280 - (r[3] * 700 + r[4] * 650)];
    const sigma = scale > 1 ? 2.5 : 12;
    const cx = 700.3, cy = 650.7;
    const photo = blobPhoto(W, H, cx, cy, sigma);
    const points = FFHQ_TEMPLATE_512.map((p) => applyAffine(invertAffine(toFace), p)) as [number, number][];
    const aligned = await alignFaces(photo, [{ points: points as never }], 512);
    const fit = aligned.transforms[0];
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(fit[i] - toFace[i]) < 1e-6, 'transform recovered from the points');

    const S = 512;
    const [fu, fv] = centroid((i) => aligned.faces[i], S, S);
    const [eu, ev] = applyAffine(toFace, [cx, cy]);
    assert.ok(Math.hypot(fu - eu, fv - ev) < 0.05, `blob in face space at ${fu.toFixed(3)},${fv.toFixed(3)}, expected ${eu.toFixed(3)},${ev.toFixed(3)}`);

    const back = createRaster(W, H, 16);
    await pasteFaces(back, [{ restored: aligned.faces, original: aligned.faces, outToFace: toFace, size: S }], 'colour');
    const [bx, by] = centroid((i) => back.data[i * 3], W, H);
    assert.ok(Math.hypot(bx - cx, by - cy) < 0.05, `blob back in the photo at ${bx.toFixed(3)},${by.toFixed(3)}`);
    // Pixel error of the round trip where the mask is fully on (around the blob).
    let se = 0, n = 0;
    for (let y = Math.floor(cy - 4 * sigma); y < cy + 4 * sigma; y++) {
      for (let x = Math.floor(cx - 4 * sigma); x < cx + 4 * sigma; x++) {
        const d = (back.data[(y * W + x) * 3] - photo.data[(y * W + x) * 3]) / 65535;
        se += d * d;
        n++;
      }
    }
    const psnr = 10 * Math.log10(1 / (se / n));
    assert.ok(psnr > (scale > 1 ? 45 : 30), `round-trip PSNR ${psnr.toFixed(1)} dB`);
  });
}

test('the background scale and the paste geometry agree (lanczos3 upscaling offset)', async () => {
  const cx = 100.3, cy = 80.6;
  const photo = blobPhoto(240, 180, cx, cy, 4);
  for (const k of [2, 4]) {
    const big = await scaleRaster(photo, k);
    const [x, y] = centroid((i) => big.data[i * 3], big.width, big.height);
    const [ex, ey] = applyAffine(photoToOutput(k), [cx, cy]);
    assert.ok(Math.hypot(x - ex, y - ey) < 0.03, `${k}x: blob at ${x.toFixed(3)},${y.toFixed(3)}, paste expects ${ex},${ey}`);
  }
});

/**
 * Both images are blurred (sigma 1 px) before comparing: the paste antialiases the 512 px face down
 * to the photo, which legitimately removes near-Nyquist texture (print screens, JPEG grain). What
 * is left measures geometry: measured ~54 dB when right, 31-40 dB with a 0.5 px shift.
 */
async function blurred(r: Raster): Promise<Buffer> {
  return sharp(r.data, { raw: { width: r.width, height: r.height, channels: 3 } }).blur(1).raw().toBuffer();
}

function psnrIn(a: Buffer, b: Buffer, width: number, height: number, box: [number, number, number, number], k: number): number {
  const [x0, y0, w, h] = box.map((v) => v * k);
  let se = 0, n = 0;
  for (let y = Math.max(0, Math.floor(y0)); y < Math.min(height, y0 + h); y++) {
    for (let x = Math.max(0, Math.floor(x0)); x < Math.min(width, x0 + w); x++) {
      for (let c = 0; c < 3; c++) {
        const d = a[(y * width + x) * 3 + c] - b[(y * width + x) * 3 + c];
        se += d * d;
        n++;
      }
    }
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / n));
}

test('identity restorer: every fixture photo comes back unchanged in its face regions', { skip: photos.skip }, async () => {
  const files = readdirSync(photos.path).filter((f) => /\.(jpe?g|png)$/i.test(f));
  for (const file of files) {
    for (const scale of file === 'group-office-4.jpg' ? ([1, 2] as const) : ([1] as const)) {
      const restorer = identityRestorer();
      const out = path.join(tmp, `id-${scale}-${file}.png`);
      const r = await restorePhoto(path.join(photos.path, file), out, restorer, { ...PNG1, scale }, { keepRasters: true });
      const usable = r.faces.filter((f) => f.restored);
      assert.ok(usable.length >= 1);
      assert.deepEqual(restorer.calls, [usable.length], 'all faces of the photo in one batch');
      const a = await blurred(r.before!);
      const b = await blurred(r.after!);
      for (const f of usable) {
        const p = psnrIn(a, b, r.outputWidth, r.outputHeight, f.box, scale);
        assert.ok(p > 45, `${file} @${scale}x face at ${f.box.map(Math.round)}: PSNR ${p.toFixed(1)} dB`);
      }
    }
  }
});

async function restoreWith(file: string, restorer: Parameters<typeof restorePhoto>[2], name: string): Promise<RestorePhotoResult> {
  return restorePhoto(file, path.join(tmp, name), restorer, PNG1, { keepRasters: true });
}

test('a brightening restorer leaves no seam: the change ramps smoothly to zero at the mask edge', { skip: photos.skip }, async () => {
  const amount = 0.25;
  const r = await restoreWith(path.join(photos.path, 'scan-family-3.png'), brightenRestorer(amount), 'bright.png');
  const { before, after: out } = r as Required<RestorePhotoResult>;
  // Blurred by 1 px like the identity test, so only the blend (not resampled grain) is measured.
  const b0 = await blurred(before);
  const b1 = await blurred(out);
  const W = before.width;
  const luma = (img: Buffer, i: number) => 0.299 * img[i * 3] + 0.587 * img[i * 3 + 1] + 0.114 * img[i * 3 + 2];
  // Where the restorer clipped at white (within the blur's reach), the change is legitimately smaller.
  const H = before.height;
  const near = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      if (Math.max(before.data[i * 3], before.data[i * 3 + 1], before.data[i * 3 + 2]) < 255 * (1 - amount) - 1) continue;
      for (let dy = -3; dy <= 3; dy++) for (let dx = -3; dx <= 3; dx++) {
        const yy = y + dy, xx = x + dx;
        if (yy >= 0 && yy < H && xx >= 0 && xx < W) near[yy * W + xx] = 1;
      }
    }
  }
  const clipped = (i: number) => near[i] === 1;
  let maxDelta = 0;
  let maxStep = 0;
  for (let y = 0; y < before.height; y++) {
    for (let x = 0; x + 1 < W; x++) {
      const i = y * W + x;
      const d0 = luma(b1, i) - luma(b0, i);
      maxDelta = Math.max(maxDelta, d0);
      if (clipped(i) || clipped(i + 1)) continue;
      const d1 = luma(b1, i + 1) - luma(b0, i + 1);
      maxStep = Math.max(maxStep, Math.abs(d1 - d0));
      if (y + 1 < before.height && !clipped(i + W)) {
        maxStep = Math.max(maxStep, Math.abs(luma(b1, i + W) - luma(b0, i + W) - d0));
      }
    }
  }
  assert.ok(maxDelta > 0.9 * amount * 255, `faces were brightened (max change ${maxDelta.toFixed(1)})`);
  // A hard paste edge would still jump by ~25 levels between neighbours after the 1 px blur.
  assert.ok(maxStep < 0.2 * amount * 255, `largest change between neighbouring pixels ${maxStep.toFixed(1)} levels`);
});

test('gray in -> gray out exactly (R=G=B), also when the restorer adds colour', { skip: photos.skip }, async () => {
  const rgbGray = path.join(tmp, 'rgb-gray.png');
  const { data, info } = await sharp(path.join(photos.path, 'scan-family-3.png')).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  const rgb = Buffer.alloc(info.width * info.height * 3);
  for (let i = 0; i < info.width * info.height; i++) rgb.fill(data[i], i * 3, i * 3 + 3);
  await sharp(rgb, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toFile(rgbGray);
  const singleGray = path.join(tmp, 'single-gray.png');
  await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } }).toColourspace('b-w').png().toFile(singleGray);

  for (const input of [rgbGray, singleGray]) {
    const r = await restoreWith(input, tintRestorer(), `gray-out-${path.basename(input)}`);
    assert.equal(r.tone, 'gray');
    assert.ok(r.faces.filter((f) => f.restored).length >= 3);
    const meta = await sharp(r.outputPath).metadata();
    if (input === singleGray) assert.equal(meta.channels, 1, 'a one-channel input is written as one channel');
    const px = await sharp(r.outputPath).toColourspace('srgb').raw().toBuffer();
    let colourful = 0;
    for (let i = 0; i < px.length; i += 3) if (px[i] !== px[i + 1] || px[i] !== px[i + 2]) colourful++;
    assert.equal(colourful, 0, `${path.basename(input)}: ${colourful} pixels with colour`);
    // The faces did change (the restorer's luminance went in).
    let changed = 0;
    for (let i = 0; i < px.length; i += 3) if (px[i] !== r.before!.data[i]) changed++;
    assert.ok(changed > 1000, `${changed} pixels changed`);
  }
});

test('a sepia print keeps its tone: the restorer cannot invent colour', { skip: photos.skip }, async () => {
  const sepia = path.join(tmp, 'sepia.png');
  await sharp(path.join(photos.path, 'scan-family-3.png')).tint({ r: 112, g: 66, b: 20 }).png().toFile(sepia);
  const offHue = async (input: string, name: string) => {
    const r = await restoreWith(input, tintRestorer(), name);
    const result: { tone: string; before: number; after: number }[] = [];
    for (const f of r.faces.filter((x) => x.restored)) {
      const [x0, y0, w, h] = f.box.map(Math.round);
      const crop = (img: Raster) => {
        const c = createRaster(w, h, 8);
        for (let y = 0; y < h; y++) c.data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + w) * 3), y * w * 3);
        return c;
      };
      result.push({ tone: r.tone, before: detectTone(crop(r.before!)).offHueRms, after: detectTone(crop(r.after!)).offHueRms });
    }
    return result;
  };
  for (const f of await offHue(sepia, 'sepia-out.png')) {
    assert.equal(f.tone, 'toned');
    assert.ok(f.after < 1.5, `a sepia face's chroma is off the print's hue by ${f.after.toFixed(2)} (before ${f.before.toFixed(2)})`);
  }
  // Control: on a colour photo the same restorer's red lips do show (so the check above can fail).
  const colour = await offHue(path.join(photos.path, 'scan-family-3.png'), 'colour-tint.png');
  assert.ok(colour.every((f) => f.tone === 'colour' && f.after > f.before + 1), JSON.stringify(colour));
});

test('EXIF DateTimeOriginal and other tags survive in every format; orientation becomes 1', { skip: photos.skip }, async () => {
  const dated = path.join(tmp, 'dated.jpg');
  await sharp(path.join(photos.path, 'film-still-1.jpg'))
    .rotate(270)
    .withExif({ IFD0: { Make: 'Kodak', Artist: 'Grandpa' }, IFD2: { DateTimeOriginal: '1962:07:14 15:30:00' } })
    .withMetadata({ orientation: 6, density: 600 })
    .jpeg({ quality: 95 })
    .toFile(dated);
  for (const format of ['jpg', 'png', 'webp', 'tiff'] as const) {
    const out = path.join(tmp, `dated-out.${format}`);
    const r = await restorePhoto(dated, out, identityRestorer(), { ...PNG1, format, scale: 2 });
    assert.equal(r.faces.length >= 1, true);
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.width, meta.height], [800, 450], 'upright and scaled');
    assert.ok(meta.orientation === undefined || meta.orientation === 1, `${format}: orientation ${meta.orientation}`);
    if (format === 'tiff') {
      assert.match(meta.xmp?.toString() ?? '', /<exif:DateTimeOriginal>1962-07-14T15:30:00<\/exif:DateTimeOriginal>/);
    } else {
      const exif = parseExif(meta.exif);
      assert.equal(exif.IFD2?.DateTimeOriginal, '1962:07:14 15:30:00', format);
      assert.equal(exif.IFD0.Artist, 'Grandpa');
    }
    if (format !== 'webp') assert.equal(meta.density, 1200, `${format}: print size kept at 2x`);
  }
});

test('the output never overwrites an input', { skip: photos.skip }, async () => {
  const input = path.join(tmp, 'precious.jpg');
  await sharp(path.join(photos.path, 'boy-railing-1.jpg')).toFile(input);
  const hash = () => createHash('sha256').update(readFileSync(input)).digest('hex');
  const before = hash();
  await assert.rejects(restorePhoto(input, input, identityRestorer(), { ...PNG1, format: 'jpg' }), /refusing to overwrite the input/);
  await assert.rejects(restorePhoto(input, path.join(tmp, '.', 'precious.jpg'), identityRestorer(), { ...PNG1, format: 'jpg' }), /refusing/);
  assert.equal(hash(), before);
  assert.deepEqual(readdirSync(tmp).filter((f) => f.endsWith('.tmp') || isTempName(f)), [], 'no temp files left behind');
});

test('decode: 16-bit, CMYK, alpha and a pixel limit with a clear message', { skip: photos.skip }, async () => {
  const src = path.join(photos.path, 'film-still-1.jpg');
  const p16 = path.join(tmp, 'deep.png');
  await sharp(src).toColourspace('rgb16').png().toFile(p16);
  const d16 = await decodePhoto(p16);
  assert.equal(d16.image.depth, 16);
  const r = await restorePhoto(p16, path.join(tmp, 'deep.tif'), identityRestorer(), { ...PNG1, format: 'tiff' });
  assert.equal((await sharp(r.outputPath).metadata()).depth, 'ushort', '16-bit in, 16-bit TIFF out');

  const cmyk = path.join(tmp, 'cmyk.jpg');
  await sharp(src).toColourspace('cmyk').jpeg().toFile(cmyk);
  const dc = await decodePhoto(cmyk);
  assert.equal(dc.wasCmyk, true);
  assert.equal(dc.image.data.length, 400 * 225 * 3);

  const rgba = path.join(tmp, 'alpha.png');
  await sharp(src).ensureAlpha(0.5).png().toFile(rgba);
  const ra = await restorePhoto(rgba, path.join(tmp, 'alpha-out.png'), identityRestorer(), PNG1);
  const ma = await sharp(ra.outputPath).metadata();
  assert.equal(ma.hasAlpha, true, 'alpha re-attached');

  await assert.rejects(decodePhoto(src, { maxPixels: 50_000 }), /film-still-1\.jpg: 400x225 .*larger than Heirloom can restore \(0 MP\): reduce it in an image editor first/);
  assert.equal(existsSync(path.join(tmp, 'nothing')), false);
});

test('before/after pairs: side-by-side (before | divider | after) and two files', { skip: photos.skip }, async () => {
  const input = path.join(photos.path, 'film-still-1.jpg');
  const sbsNames = namesFor(tmp, 'pair-sbs', 'png', 'side-by-side');
  const sbs = await restorePhoto(input, sbsNames.image, brightenRestorer(0.2), { ...PNG1, scale: 2 }, { pairs: sbsNames, keepRasters: true });
  assert.deepEqual(sbs.pairs, [path.join(tmp, 'pair-sbs.before-after.png')]);
  const { data, info } = await sharp(sbs.pairs[0]).raw().toBuffer({ resolveWithObject: true });
  const w = sbs.outputWidth;
  assert.equal(info.height, sbs.outputHeight);
  const gap = info.width - 2 * w;
  assert.ok(gap >= 2 && gap < 20, `divider ${gap} px`);
  const row = 300;
  for (const x of [0, 123, w - 1]) {
    const o = (row * info.width + x) * 3;
    assert.deepEqual([...data.subarray(o, o + 3)], [...sbs.before!.data.subarray((row * w + x) * 3, (row * w + x) * 3 + 3)], 'left = before');
    const o2 = (row * info.width + w + gap + x) * 3;
    assert.deepEqual([...data.subarray(o2, o2 + 3)], [...sbs.after!.data.subarray((row * w + x) * 3, (row * w + x) * 3 + 3)], 'right = after');
  }
  assert.deepEqual([...data.subarray((row * info.width + w) * 3, (row * info.width + w) * 3 + 3)], [255, 255, 255]);

  const fileNames = namesFor(tmp, 'pair-files', 'jpg', 'files');
  const files = await restorePhoto(input, fileNames.image, brightenRestorer(0.2), { ...PNG1, format: 'jpg' }, { pairs: fileNames });
  assert.deepEqual(files.pairs.map((p) => path.basename(p)), ['pair-files.before.jpg', 'pair-files.after.jpg']);
  assert.deepEqual(readFileSync(files.pairs[1]), readFileSync(files.outputPath));
  const before = await sharp(files.pairs[0]).metadata();
  assert.deepEqual([before.width, before.height, before.format], [400, 225, 'jpeg']);
});

test('a cancelled photo stops at the next stage and writes nothing', { skip: photos.skip }, async () => {
  const controller = new AbortController();
  const out = path.join(tmp, 'cancelled.jpg');
  const seen: string[] = [];
  await assert.rejects(
    restorePhoto(path.join(photos.path, 'group-office-4.jpg'), out, identityRestorer(), PNG1, {
      signal: controller.signal,
      onStage: (s) => {
        seen.push(s);
        if (s === 'restore') controller.abort();
      },
    }),
    { name: 'AbortError' },
  );
  assert.deepEqual(seen, ['decode', 'detect', 'align', 'restore']);
  assert.equal(existsSync(out), false);
});
