/**
 * Detect stage: faces + 68 landmarks with face-api (SSD MobileNet v1) on tfjs's WebAssembly backend
 * (no native download, no canvas). Returns the 5 alignment points per face in the upright photo's
 * continuous pixel coordinates (pixel i covers [i, i+1)).
 *
 * SSD always looks at the photo resized into 512x512, so small faces in a big frame shrink below
 * what it can see, and a face that fills the frame is larger than anything it was built for. Passes:
 *   1. the whole photo;
 *   2. when it finds nothing or a face at the photo's edge: the photo on a padded grey canvas
 *      (detections whose centre falls in the padding are dropped; detect-merge.ts says who wins);
 *   3. when there is still nothing, or only small faces: 2x2 overlapping tiles (each an effective
 *      2x upscale of the detector's view), merged with non-maximum suppression.
 * Landmarks: face-api's 68-point net on SSD's box and its mirror image, then once more on an
 * upright crop of the photo made from those points (uprightPoints), so a face's points do not
 * depend on how SSD framed it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import type { DetectedFace, Point } from '../../../src-shared/faces.ts';
import { type Box, centreInside, cutByTile, mergePadded, nearEdge, nonMaxSuppression, SAME_FACE } from './detect-merge.ts';
import { warpToFace } from './align.ts';
import { type Affine, applyAffine, invertAffine, templateFor } from './geometry.ts';
import { type Raster, typedPixels } from './raster.ts';
import { sourceOf } from './sample.ts';

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');
type Tf = typeof import('@tensorflow/tfjs');
type Tensor3D = import('@tensorflow/tfjs').Tensor3D;
type SsdOptions = InstanceType<FaceApi['SsdMobilenetv1Options']>;

export interface DetectOptions {
  /** SSD score threshold (0.4 finds every counted fixture face). */
  minConfidence?: number;
  /** Faces whose eye centres are closer than this (photo pixels) are reported as skipped. */
  minInterOcular?: number;
  /** Always / never run the tiled second pass (default: only when faces are small or absent). */
  tiles?: 'auto' | 'always' | 'never';
  /** Never / always run the padded pass (default: only when no face is found or one is at the edge). */
  padded?: 'auto' | 'always' | 'never';
}

export { nonMaxSuppression } from './detect-merge.ts';

export const DEFAULT_MIN_CONFIDENCE = 0.4;
export const DEFAULT_MIN_INTER_OCULAR = 8;
/** Long side of the image the detector gets: larger photos are downscaled, small ones upscaled. */
const DETECT_MAX_SIDE = 1280;
const DETECT_MIN_SIDE = 800;
/** SSD's own input size. Found faces narrower than SMALL_FACE_SSD_PX there are at the edge of what it
 * can see, so smaller ones may have been missed: that triggers the tiled pass (about 4 x 0.3 s). */
const SSD_SIZE = 512;
const SMALL_FACE_SSD_PX = 24;
/**
 * A face that fills the frame (a passport photo, a face someone already cropped) is too large for
 * SSD's anchors and is missed, and one cut by the edge is often found with a shifted box. The padded
 * pass shows SSD the photo on a grey canvas, padded on every side by these fractions of its long
 * side (tried in turn until one finds a face): at 0.5 a full-frame face is half the canvas, at 1.0
 * a third (measured on fixtures/aligned: every face found at 1.0 with a score of 0.86 or more).
 */
const PAD_RATIOS = [0.5, 1.0] as const;
/** The padded canvas's long side at most: faces there are large, a small canvas sees them fine. */
const PADDED_MAX_SIDE = 1024;

interface Engine {
  faceapi: FaceApi;
  tf: Tf;
}

let engine: Promise<Engine> | undefined;

/** tfjs + models are initialised once per process, on first use. */
export function loadDetector(): Promise<Engine> {
  engine ??= (async () => {
    const require = createRequire(import.meta.url);
    // tfjs-backend-wasm's emscripten glue installs process handlers that rethrow every uncaught error
    // (printing its whole minified source); the process's own handling is restored below.
    const before = {
      uncaughtException: process.listeners('uncaughtException'),
      unhandledRejection: process.listeners('unhandledRejection'),
    };
    const tf = require('@tensorflow/tfjs') as Tf;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(wasmDir + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs WebAssembly backend failed to initialise');
    await tf.ready();
    for (const l of process.listeners('uncaughtException')) if (!before.uncaughtException.includes(l)) process.off('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!before.unhandledRejection.includes(l)) process.off('unhandledRejection', l);
    const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
    // One throw-away pass allocates the wasm kernels' buffers now, so the first photo's detect
    // time is like every other's (about 0.3 s once, at start-up).
    const blank = tf.zeros([64, 64, 3], 'int32') as Tensor3D;
    try {
      await faceapi.detectAllFaces(blank, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.99 })).withFaceLandmarks();
    } finally {
      blank.dispose();
    }
    return { faceapi, tf };
  })();
  engine.catch(() => {
    engine = undefined;
  });
  return engine;
}

interface RawFace {
  box: Box;
  score: number;
  points: [Point, Point, Point, Point, Point];
}

/** Detect faces in an upright photo. Coordinates are in the raster's pixels. */
export async function detectFaces(image: Raster, options: DetectOptions = {}): Promise<DetectedFace[]> {
  const engine = await loadDetector();
  const { faceapi, tf } = engine;
  const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const minInterOcular = options.minInterOcular ?? DEFAULT_MIN_INTER_OCULAR;
  const long = Math.max(image.width, image.height);
  const s = long > DETECT_MAX_SIDE ? DETECT_MAX_SIDE / long : long < DETECT_MIN_SIDE ? Math.min(4, DETECT_MIN_SIDE / long) : 1;
  const dw = Math.max(1, Math.round(image.width * s));
  const dh = Math.max(1, Math.round(image.height * s));
  const sx = dw / image.width;
  const sy = dh / image.height;

  const rgb = await detectionPixels(image, dw, dh);
  const tensor = tf.tensor3d(rgb, [dh, dw, 3], 'int32');
  const ssd = new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults: 200 });
  let faces: RawFace[] = [];
  try {
    const run = async (x0: number, y0: number, w: number, h: number): Promise<RawFace[]> => {
      const input = x0 === 0 && y0 === 0 && w === dw && h === dh ? tensor : tf.slice(tensor, [y0, x0, 0], [h, w, 3]);
      try {
        const faces = await facesIn(engine, input as Tensor3D, ssd, x0, y0);
        // A face cut by a tile's inner edge is seen whole by the full pass or a neighbouring tile.
        return faces.filter((f) => input === tensor || !cutByTile(f.box, x0, y0, w, h, dw, dh));
      } finally {
        if (input !== tensor) input.dispose();
      }
    };
    faces = nonMaxSuppression(await run(0, 0, dw, dh), SAME_FACE);
    const padded = options.padded ?? 'auto';
    if (padded === 'always' || (padded === 'auto' && (faces.length === 0 || faces.some((f) => nearEdge(f.box, dw, dh))))) {
      for (const ratio of PAD_RATIOS) {
        const more = await paddedPass(engine, rgb, dw, dh, ratio, minConfidence);
        if (more.length === 0) continue;
        faces = mergePadded(faces, nonMaxSuppression(more, SAME_FACE), dw, dh);
        break;
      }
    }
    const ssdScale = SSD_SIZE / Math.max(dw, dh);
    const smallest = Math.min(...faces.map((f) => f.box[2] * ssdScale));
    const tiles = options.tiles ?? 'auto';
    if (tiles === 'always' || (tiles === 'auto' && (faces.length === 0 || smallest < SMALL_FACE_SSD_PX))) {
      // 2x2 tiles, each 60% of the side so neighbours overlap by 20% and a face is whole in one.
      const tw = Math.round(dw * 0.6);
      const th = Math.round(dh * 0.6);
      const found = [...faces];
      for (const ty of [0, dh - th]) for (const tx of [0, dw - tw]) found.push(...(await run(tx, ty, tw, th)));
      faces = nonMaxSuppression(found, SAME_FACE);
    }
  } finally {
    tensor.dispose();
  }

  const found: DetectedFace[] = [];
  for (const f of faces) {
    const map = ([x, y]: Point): Point => [x / sx, y / sy];
    const face: DetectedFace = {
      box: [f.box[0] / sx, f.box[1] / sy, f.box[2] / sx, f.box[3] / sy],
      score: f.score,
      points: f.points.map(map) as DetectedFace['points'],
    };
    const [left, right] = face.points;
    if (Math.hypot(right[0] - left[0], right[1] - left[1]) < minInterOcular) face.skipped = 'too-small';
    else face.points = await uprightPoints(engine, image, face.points);
    found.push(face);
  }
  return found.sort((a, b) => a.box[0] - b.box[0] || a.box[1] - b.box[1]);
}

/** 8-bit RGB of the photo at the detector's size (lanczos3 both ways). */
async function detectionPixels(image: Raster, dw: number, dh: number): Promise<Uint8Array> {
  let src = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (dw !== image.width || dh !== image.height) src = src.resize(dw, dh, { fit: 'fill', kernel: 'lanczos3' });
  const { data } = await src.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return typedPixels(data, 8) as Uint8Array;
}

/**
 * SSD on the detector's pixels shrunk (when large) and centred on a grey canvas padded by `ratio` of
 * the long side on every side. Returns faces in the detector's pixels whose centre lies in the
 * photo (a face "found" in the padding would be invented).
 */
async function paddedPass(engine: Engine, rgb: Uint8Array, dw: number, dh: number, ratio: number, minConfidence: number): Promise<RawFace[]> {
  const { faceapi, tf } = engine;
  const k = Math.min(1, PADDED_MAX_SIDE / ((1 + 2 * ratio) * Math.max(dw, dh)));
  const sw = Math.max(1, Math.round(dw * k));
  const sh = Math.max(1, Math.round(dh * k));
  const pad = Math.round(ratio * Math.max(sw, sh));
  let img = sharp(rgb, { raw: { width: dw, height: dh, channels: 3 } });
  if (sw !== dw || sh !== dh) img = img.resize(sw, sh, { fit: 'fill', kernel: 'lanczos3' });
  const { data, info } = await img
    .extend({ top: pad, bottom: pad, left: pad, right: pad, background: { r: 128, g: 128, b: 128 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const tensor = tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.length), [info.height, info.width, 3], 'int32');
  try {
    const ssd = new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults: 50 });
    const kx = dw / sw;
    const ky = dh / sh;
    return (await facesIn(engine, tensor, ssd, -pad, -pad))
      .map((f): RawFace => {
        return {
          box: [f.box[0] * kx, f.box[1] * ky, f.box[2] * kx, f.box[3] * ky],
          score: f.score,
          points: f.points.map(([x, y]): Point => [x * kx, y * ky]) as RawFace['points'],
        };
      })
      .filter((f) => centreInside(f.box, dw, dh));
  } finally {
    tensor.dispose();
  }
}

/** The 5 alignment points of 68 landmarks: image-left eye (36-41) and image-right eye (42-47) centres, nose tip (30), mouth corners (48, 54). */
function fivePoints(p: readonly Point[]): DetectedFace['points'] {
  const centre = (from: number, to: number): Point => {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += p[i][0];
      y += p[i][1];
    }
    return [x / (to - from + 1), y / (to - from + 1)];
  };
  return [centre(36, 41), centre(42, 47), p[30], p[48], p[54]];
}

/** SSD's faces in `input`, each with its landmarks; coordinates shifted by (ox, oy). */
async function facesIn(engine: Engine, input: Tensor3D, ssd: SsdOptions, ox: number, oy: number): Promise<RawFace[]> {
  const dets = await engine.faceapi.detectAllFaces(input, ssd);
  const out: RawFace[] = [];
  for (const d of dets) {
    const b = d.box;
    const lm = await landmarks68(engine, input, [b.x, b.y, b.width, b.height]);
    out.push({
      box: [b.x + ox, b.y + oy, b.width, b.height],
      score: d.score,
      points: fivePoints(lm.map(([x, y]): Point => [x + ox, y + oy])),
    });
  }
  return out;
}

/** Side of the landmark net's input. */
const LANDMARK_NET_PX = 112;
/** 68-point index of each point's mirror image (left eye <-> right eye, jaw reversed, ...). */
const MIRROR_68 = [
  16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 27, 28, 29, 30, 35, 34, 33,
  32, 31, 45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40, 54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55, 64, 63, 62, 61, 60,
  67, 66, 65,
];

/**
 * The 68 landmarks of the face in `box` (pixels of `input`): the net on a square crop centred on the
 * box and on its mirror image, averaged. The net's errors are not left-right symmetric (on the
 * aligned fixtures its mirrored estimate differs by up to 8 px and 2 degrees at 512); the average
 * cancels that part. Outside the image the crop is grey.
 */
async function landmarks68(engine: Engine, input: Tensor3D, box: Box): Promise<Point[]> {
  const { faceapi, tf } = engine;
  const [h, w] = input.shape;
  const side = Math.max(box[2], box[3]);
  const x0 = box[0] + box[2] / 2 - side / 2;
  const y0 = box[1] + box[3] / 2 - side / 2;
  const n = LANDMARK_NET_PX;
  const k = side / n;
  // cropAndResize samples at pixel-centre indices: crop pixel i's centre is x0 + (i + 0.5) k in
  // continuous coordinates, x0 + (i + 0.5) k - 0.5 as an index.
  const ya = (y0 + 0.5 * k - 0.5) / Math.max(1, h - 1);
  const yb = (y0 + (n - 0.5) * k - 0.5) / Math.max(1, h - 1);
  const xa = (x0 + 0.5 * k - 0.5) / Math.max(1, w - 1);
  const xb = (x0 + (n - 0.5) * k - 0.5) / Math.max(1, w - 1);
  const crops = tf.tidy(() => {
    const img = tf.expandDims(tf.cast(input, 'float32'), 0) as import('@tensorflow/tfjs').Tensor4D;
    const crop = tf.squeeze(tf.image.cropAndResize(img, [[ya, xa, yb, xb]], [0], [n, n], 'bilinear', 128), [0]) as Tensor3D;
    return [crop, tf.reverse(crop, 1) as Tensor3D];
  });
  let results: { positions: { x: number; y: number }[] }[];
  try {
    const r = await faceapi.nets.faceLandmark68Net.detectLandmarks(crops);
    results = Array.isArray(r) ? r : [r];
  } finally {
    for (const c of crops) c.dispose();
  }
  const direct = results[0].positions;
  const mirrored = results[1].positions;
  return direct.map((q, i): Point => {
    const m = mirrored[MIRROR_68[i]];
    return [x0 + ((q.x + (n - m.x)) / 2) * k, y0 + ((q.y + m.y) / 2) * k];
  });
}

/**
 * How the upright pass frames a face: its crop's side is this many times the distance from the eye
 * centre to the mouth centre (SSD's boxes frame the fixture faces at 2.6 on average).
 */
const UPRIGHT_FRAMING = 2.6;

/**
 * A second landmark pass on a canonical crop of the photo: the face turned upright (eye line
 * level), centred between the eyes and the mouth, and scaled by UPRIGHT_FRAMING. The first pass
 * sees the face as SSD's box happened to frame it, tilted as in the photo, and its answer moves
 * with that framing: the same face placed larger in a photo got a crop 6.7 % larger. On the
 * canonical crop it moves by at most 0.6 % and 0.2 degrees (ARCHITECTURE.md, alignment).
 */
async function uprightPoints(engine: Engine, image: Raster, points: DetectedFace['points']): Promise<DetectedFace['points']> {
  const [le, re, , ml, mr] = points;
  const eyes: Point = [(le[0] + re[0]) / 2, (le[1] + re[1]) / 2];
  const mouth: Point = [(ml[0] + mr[0]) / 2, (ml[1] + mr[1]) / 2];
  const eyeToMouth = Math.hypot(mouth[0] - eyes[0], mouth[1] - eyes[1]);
  if (!(eyeToMouth > 1)) return points;
  const n = LANDMARK_NET_PX;
  const k = n / UPRIGHT_FRAMING / eyeToMouth;
  const angle = -Math.atan2(re[1] - le[1], re[0] - le[0]);
  const c: Point = [(eyes[0] + mouth[0]) / 2, (eyes[1] + mouth[1]) / 2];
  const a = k * Math.cos(angle);
  const b = k * Math.sin(angle);
  // photo -> crop: turn by `angle` and scale by k about c, which lands on the crop's centre.
  const toCrop: Affine = [a, -b, n / 2 - (a * c[0] - b * c[1]), b, a, n / 2 - (b * c[0] + a * c[1])];
  const planar = new Float32Array(3 * n * n);
  await warpToFace(sourceOf(image), toCrop, n, planar, 0);
  const rgb = new Int32Array(3 * n * n);
  for (let i = 0; i < n * n; i++) for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = Math.round(planar[ch * n * n + i] * 255);
  const tensor = engine.tf.tensor3d(rgb, [n, n, 3], 'int32');
  try {
    const fromCrop = invertAffine(toCrop);
    return fivePoints((await landmarks68(engine, tensor, [0, 0, n, n])).map((p) => applyAffine(fromCrop, p)));
  } finally {
    tensor.dispose();
  }
}

/** Where a detector-style face box sits in the FFHQ template's 512x512 frame (used to place points without the net). */
const TEMPLATE_FACE_BOX = [96, 128, 320, 320] as const;
/** Margin added around a user's box before the landmark net sees it (boxes drawn by hand are loose or tight). */
const BOX_MARGIN = 0.1;
/** Side of the crop handed to the landmark net (it works at 112 px; a little more keeps detail for the resize). */
const LANDMARK_CROP_PX = 224;

/** The 5 points placed in a box by the FFHQ template's proportions (no model). */
export function templatePointsInBox(box: DetectedFace['box']): DetectedFace['points'] {
  const [tx, ty, tw, th] = TEMPLATE_FACE_BOX;
  return templateFor(512).map(([px, py]): Point => [box[0] + ((px - tx) / tw) * box[2], box[1] + ((py - ty) / th) * box[3]]) as DetectedFace['points'];
}

/**
 * The 5 alignment points of a face the user boxed: face-api's 68-point landmark net on the crop
 * (enlarged a little). Falls back to the template's proportions when the net's answer is not a
 * plausible face in the box (eyes out of order, points outside it).
 */
export async function landmarksInBox(image: Raster, box: DetectedFace['box']): Promise<{ points: DetectedFace['points']; fromNet: boolean }> {
  const engine = await loadDetector();
  const { tf } = engine;
  const m = BOX_MARGIN * Math.max(box[2], box[3]);
  const x0 = Math.max(0, Math.floor(box[0] - m));
  const y0 = Math.max(0, Math.floor(box[1] - m));
  const x1 = Math.min(image.width, Math.ceil(box[0] + box[2] + m));
  const y1 = Math.min(image.height, Math.ceil(box[1] + box[3] + m));
  const cw = x1 - x0;
  const ch = y1 - y0;
  if (cw < 2 || ch < 2) return { points: templatePointsInBox(box), fromNet: false };
  const s = LANDMARK_CROP_PX / Math.max(cw, ch);
  const dw = Math.max(1, Math.round(cw * s));
  const dh = Math.max(1, Math.round(ch * s));
  const { data } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: x0, top: y0, width: cw, height: ch })
    .resize(dw, dh, { fit: 'fill', kernel: 'lanczos3' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const tensor = tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.length), [dh, dw, 3], 'int32');
  let first: DetectedFace['points'];
  try {
    const found = await landmarks68(engine, tensor, [0, 0, dw, dh]);
    first = fivePoints(found.map(([x, y]): Point => [x0 + x / (dw / cw), y0 + y / (dh / ch)]));
  } finally {
    tensor.dispose();
  }
  const plausible = (points: DetectedFace['points']) =>
    points.every(([x, y]) => x >= box[0] && x <= box[0] + box[2] && y >= box[1] && y <= box[1] + box[3]) &&
    points[0][0] < points[1][0] &&
    points[3][0] < points[4][0] &&
    points[0][1] < points[3][1];
  if (!plausible(first)) return { points: templatePointsInBox(box), fromNet: false };
  const upright = await uprightPoints(engine, image, first);
  return { points: plausible(upright) ? upright : first, fromNet: true };
}
