/**
 * Landmarks: face-api's 68-point net on a face's box and its mirror image (averaged), then once more
 * on an upright crop made from those points; reduced to the 5 alignment points (eye centres, nose
 * tip, mouth corners) in the photo's continuous pixel coordinates. Also the points of a face the
 * user boxed by hand.
 */
import sharp from 'sharp';
import type { DetectedFace, Point } from '../../../src-shared/faces.ts';
import { warpToFace } from './align.ts';
import type { Box } from './detect-merge.ts';
import { type FaceModels, type Tensor3D, loadDetector } from './face-models.ts';
import { type Affine, applyAffine, invertAffine, templateFor } from './geometry.ts';
import type { Raster } from './raster.ts';
import { sourceOf } from './sample.ts';

/** The 5 alignment points of 68 landmarks: image-left eye (36-41) and image-right eye (42-47) centres, nose tip (30), mouth corners (48, 54). */
export function fivePoints(p: readonly Point[]): DetectedFace['points'] {
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
export async function landmarks68(engine: FaceModels, input: Tensor3D, box: Box): Promise<Point[]> {
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
export async function uprightPoints(engine: FaceModels, image: Raster, points: DetectedFace['points']): Promise<DetectedFace['points']> {
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
