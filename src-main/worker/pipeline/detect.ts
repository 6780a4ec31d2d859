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
 * Landmarks (landmarks.ts): face-api's 68-point net on SSD's box and its mirror image, then once
 * more on an upright crop of the photo made from those points (uprightPoints), so a face's points
 * do not depend on how SSD framed it.
 */
import sharp from 'sharp';
import type { DetectedFace, Point } from '../../../src-shared/faces.ts';
import { type Box, centreInside, cutByTile, mergePadded, nearEdge, nonMaxSuppression, SAME_FACE } from './detect-merge.ts';
import { type FaceApi, type FaceModels, type Tensor3D, loadDetector } from './face-models.ts';
import { fivePoints, landmarks68, uprightPoints } from './landmarks.ts';
import { type Raster, typedPixels } from './raster.ts';

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
async function paddedPass(engine: FaceModels, rgb: Uint8Array, dw: number, dh: number, ratio: number, minConfidence: number): Promise<RawFace[]> {
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

/** SSD's faces in `input`, each with its landmarks; coordinates shifted by (ox, oy). */
async function facesIn(engine: FaceModels, input: Tensor3D, ssd: SsdOptions, ox: number, oy: number): Promise<RawFace[]> {
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
