// Renders resources/icon.svg into the app icons: icon.png (512x512, Linux and the window),
// icon.ico (Windows, PNG-compressed entries 16..256) and icon.icns (macOS, PNG entries 16..1024).
// Run after changing the SVG: node --import tsx scripts/make-icons.ts
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources');
const svg = readFileSync(path.join(dir, 'icon.svg'));

const png = (size: number): Promise<Buffer> =>
  sharp(svg, { density: Math.ceil((72 * size) / 512) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();

function ico(images: { size: number; data: Buffer }[]): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, data }, i) => {
    const e = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, e); // 0 means 256
    header.writeUInt8(size >= 256 ? 0 : size, e + 1);
    header.writeUInt16LE(1, e + 4); // colour planes
    header.writeUInt16LE(32, e + 6); // bits per pixel
    header.writeUInt32LE(data.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.data)]);
}

function icns(entries: { type: string; data: Buffer }[]): Buffer {
  const chunks = entries.map(({ type, data }) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'ascii');
    h.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([h, data]);
  });
  const body = Buffer.concat(chunks);
  const h = Buffer.alloc(8);
  h.write('icns', 0, 'ascii');
  h.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([h, body]);
}

const sizes = [16, 32, 48, 64, 128, 256, 512, 1024];
const pngs = new Map<number, Buffer>();
for (const s of sizes) pngs.set(s, await png(s));

writeFileSync(path.join(dir, 'icon.png'), pngs.get(512)!);
writeFileSync(path.join(dir, 'icon.ico'), ico([16, 32, 48, 64, 128, 256].map((size) => ({ size, data: pngs.get(size)! }))));
// icp4/icp5 = 16/32, ic07..ic10 = 128/256/512/1024 (PNG payloads, macOS 10.7+).
writeFileSync(
  path.join(dir, 'icon.icns'),
  icns([
    { type: 'icp4', data: pngs.get(16)! },
    { type: 'icp5', data: pngs.get(32)! },
    { type: 'ic07', data: pngs.get(128)! },
    { type: 'ic08', data: pngs.get(256)! },
    { type: 'ic09', data: pngs.get(512)! },
    { type: 'ic10', data: pngs.get(1024)! },
  ]),
);
console.log(`wrote ${dir}/icon.png, icon.ico, icon.icns`);
