// Child-process probe for tests/integration/sharp-builds.test.ts (run with --expose-gc): decodes a
// photo, then lets sharp work on other images while the garbage collector runs, and prints
// whether the decoded pixels are still the same bytes.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { decodePhoto } from '../../src-main/worker/pipeline/decode.ts';

const [photo, other] = process.argv.slice(2);
const md5 = (a: ArrayBufferView) => createHash('md5').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
const decoded = await decodePhoto(photo);
const before = md5(decoded.image.data);
for (let i = 0; i < 6; i++) {
  await sharp(other).resize(400 + 50 * i).raw().toBuffer();
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setImmediate(r));
}
console.log(JSON.stringify({ build: 'emscripten' in sharp.versions ? 'wasm' : 'native', same: md5(decoded.image.data) === before }));
