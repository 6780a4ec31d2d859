// Child-process probe for tests/integration/sharp-builds.test.ts: draws "Before" (32 px) on a mid-grey
// photo and prints which sharp build ran and how many pixels of the tag came out near white.
import sharp from 'sharp';
import { drawLabel } from '../../src-main/worker/pipeline/pairs.ts';
import { createRaster } from '../../src-main/worker/pipeline/raster.ts';

const img = createRaster(600, 800, 8);
img.data.fill(128);
await drawLabel(img, 'Before', 0, img.height);
let white = 0;
for (let i = 0; i < img.data.length; i += 3) if (img.data[i] > 200) white++;
console.log(JSON.stringify({ build: 'emscripten' in sharp.versions ? 'wasm' : 'native', white }));
