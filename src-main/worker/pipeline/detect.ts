/**
 * Detect stage: faces + 68 landmarks with face-api (SSD MobileNet v1) on tfjs's WebAssembly backend
 * (no native download, no canvas). Returns the 5 alignment points per face in the upright photo's
 * continuous pixel coordinates (pixel i covers [i, i+1)).
 *
 * SSD always looks at the photo resized into 512x512, so small faces in a big frame shrink below
 * what it can see. When the first pass finds nothing or only small faces, a second pass runs on
 * 2x2 overlapping tiles (each tile is an effective 2x upscale of the detector's view) and the passes
 * are merged with non-maximum suppression.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import type { DetectedFace, Point } from '../../../src-shared/faces.ts';
import { templateFor } from './geometry.ts';
import type { Raster } from './raster.ts';

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');
type Tf = typeof import('@tensorflow/tfjs');
type Tensor3D = import('@tensorflow/tfjs').Tensor3D;

export interface DetectOptions {
  /** SSD score threshold (0.4 finds every counted fixture face). */
  minConfidence?: number;
  /** Faces whose eye centres are closer than this (photo pixels) are reported as skipped. */
  minInterOcular?: number;
  /** Always / never run the tiled second pass (default: only when faces are small or absent). */
  tiles?: 'auto' | 'always' | 'never';
}

export const DEFAULT_MIN_CONFIDENCE = 0.4;
export const DEFAULT_MIN_INTER_OCULAR = 8;
/** Long side of the image the detector gets: larger photos are downscaled, small ones upscaled. */
const DETECT_MAX_SIDE = 1280;
const DETECT_MIN_SIDE = 800;
/** SSD's own input size. Found faces narrower than SMALL_FACE_SSD_PX there are at the edge of what it
 * can see, so smaller ones may have been missed: that triggers the tiled pass (about 4 x 0.3 s). */
const SSD_SIZE = 512;
const SMALL_FACE_SSD_PX = 24;

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
  box: [number, number, number, number];
  score: number;
  points: [Point, Point, Point, Point, Point];
}

/** Detect faces in an upright photo. Coordinates are in the raster's pixels. */
export async function detectFaces(image: Raster, options: DetectOptions = {}): Promise<DetectedFace[]> {
  const { faceapi, tf } = await loadDetector();
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
  const found: RawFace[] = [];
  try {
    const run = async (x0: number, y0: number, w: number, h: number) => {
      const input = x0 === 0 && y0 === 0 && w === dw && h === dh ? tensor : tf.slice(tensor, [y0, x0, 0], [h, w, 3]);
      try {
        const dets = await faceapi.detectAllFaces(input as Tensor3D, ssd).withFaceLandmarks();
        for (const d of dets) {
          const f = toRawFace(d, x0, y0);
          // A face cut by a tile's inner edge is seen whole by the full pass or a neighbouring tile.
          if (input !== tensor && cutByTile(f.box, x0, y0, w, h, dw, dh)) continue;
          found.push(f);
        }
      } finally {
        if (input !== tensor) input.dispose();
      }
    };
    await run(0, 0, dw, dh);
    const ssdScale = SSD_SIZE / Math.max(dw, dh);
    const smallest = Math.min(...found.map((f) => f.box[2] * ssdScale));
    const tiles = options.tiles ?? 'auto';
    if (tiles === 'always' || (tiles === 'auto' && (found.length === 0 || smallest < SMALL_FACE_SSD_PX))) {
      // 2x2 tiles, each 60% of the side so neighbours overlap by 20% and a face is whole in one.
      const tw = Math.round(dw * 0.6);
      const th = Math.round(dh * 0.6);
      for (const ty of [0, dh - th]) for (const tx of [0, dw - tw]) await run(tx, ty, tw, th);
    }
  } finally {
    tensor.dispose();
  }

  const merged = nonMaxSuppression(found, 0.35);
  return merged
    .map((f): DetectedFace => {
      const map = ([x, y]: Point): Point => [x / sx, y / sy];
      const points = f.points.map(map) as DetectedFace['points'];
      const face: DetectedFace = {
        box: [f.box[0] / sx, f.box[1] / sy, f.box[2] / sx, f.box[3] / sy],
        score: f.score,
        points,
      };
      const iod = Math.hypot(points[1][0] - points[0][0], points[1][1] - points[0][1]);
      if (iod < minInterOcular) face.skipped = 'too-small';
      return face;
    })
    .sort((a, b) => a.box[0] - b.box[0] || a.box[1] - b.box[1]);
}

/** 8-bit RGB of the photo at the detector's size (lanczos3 both ways). */
async function detectionPixels(image: Raster, dw: number, dh: number): Promise<Uint8Array> {
  let src = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (dw !== image.width || dh !== image.height) src = src.resize(dw, dh, { fit: 'fill', kernel: 'lanczos3' });
  const { data } = await src.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

interface ApiFace {
  detection: { box: { x: number; y: number; width: number; height: number }; score: number };
  landmarks: { positions: { x: number; y: number }[] };
}

function mean(pts: { x: number; y: number }[], from: number, to: number): Point {
  let x = 0;
  let y = 0;
  for (let i = from; i <= to; i++) {
    x += pts[i].x;
    y += pts[i].y;
  }
  const n = to - from + 1;
  return [x / n, y / n];
}

function toRawFace(d: ApiFace, ox: number, oy: number): RawFace {
  const p = d.landmarks.positions.map((q) => ({ x: q.x + ox, y: q.y + oy }));
  const b = d.detection.box;
  return {
    box: [b.x + ox, b.y + oy, b.width, b.height],
    score: d.detection.score,
    // 68-point scheme: 36-41 image-left eye, 42-47 image-right eye, 30 nose tip, 48/54 mouth corners.
    points: [mean(p, 36, 41), mean(p, 42, 47), [p[30].x, p[30].y], [p[48].x, p[48].y], [p[54].x, p[54].y]],
  };
}

function cutByTile(b: RawFace['box'], x0: number, y0: number, w: number, h: number, dw: number, dh: number): boolean {
  const m = 2;
  return (
    (x0 > 0 && b[0] <= x0 + m) ||
    (y0 > 0 && b[1] <= y0 + m) ||
    (x0 + w < dw && b[0] + b[2] >= x0 + w - m) ||
    (y0 + h < dh && b[1] + b[3] >= y0 + h - m)
  );
}

/** Overlap as intersection over the smaller box: a tile's partial view of a face counts as the same face. */
function overlap(a: RawFace['box'], b: RawFace['box']): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  return inter / Math.max(1e-9, Math.min(a[2] * a[3], b[2] * b[3]));
}

export function nonMaxSuppression<T extends { box: [number, number, number, number]; score: number }>(
  faces: T[],
  threshold: number,
): T[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const f of sorted) if (kept.every((k) => overlap(k.box, f.box) < threshold)) kept.push(f);
  return kept;
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
  const { faceapi, tf } = await loadDetector();
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
  let positions: { x: number; y: number }[];
  try {
    const result = await faceapi.nets.faceLandmark68Net.detectLandmarks(tensor);
    positions = (Array.isArray(result) ? result[0] : result).positions.map((q) => ({ x: x0 + q.x / (dw / cw), y: y0 + q.y / (dh / ch) }));
  } finally {
    tensor.dispose();
  }
  const p = positions;
  const points: DetectedFace['points'] = [mean(p, 36, 41), mean(p, 42, 47), [p[30].x, p[30].y], [p[48].x, p[48].y], [p[54].x, p[54].y]];
  const inBox = points.every(([x, y]) => x >= box[0] && x <= box[0] + box[2] && y >= box[1] && y <= box[1] + box[3]);
  const ordered = points[0][0] < points[1][0] && points[3][0] < points[4][0] && points[0][1] < points[3][1];
  return inBox && ordered ? { points, fromNet: true } : { points: templatePointsInBox(box), fromNet: false };
}
