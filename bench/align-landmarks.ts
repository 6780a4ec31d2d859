/**
 * Where the alignment's per-face error comes from: re-aligning the six already-aligned faces of
 * fixtures/aligned, each from the detector's own landmarks and from the landmark net run on 27
 * boxes around the detector's box (scale 0.9 / 1 / 1.1, shifted by -6 / 0 / +6 % each way), each
 * followed by the upright pass as in detection.
 *
 * For each face it prints the crop's deviation from the identity (shift of the centre at 512,
 * scale, rotation) from the detection, from the 27 boxes' averaged points, and how much the eye
 * centres move between the boxes (standard deviation, px at 512). If the per-face error were
 * noise of one crop, averaging would shrink it; a per-face error that stays while the boxes agree
 * to about a pixel is the net's own answer for that face.
 *
 *   node --import tsx bench/align-landmarks.ts
 */
import path from 'node:path';
import { faceTransform } from '../src-main/worker/pipeline/align.ts';
import { decodePhoto } from '../src-main/worker/pipeline/decode.ts';
import { detectFaces } from '../src-main/worker/pipeline/detect.ts';
import { landmarksInBox } from '../src-main/worker/pipeline/landmarks.ts';
import { type Affine, applyAffine } from '../src-main/worker/pipeline/geometry.ts';
import type { DetectedFace, Point } from '../src-shared/faces.ts';
import { sharedPath } from '../tests/helpers/shared.ts';

const FACES = ['demo-00000055', 'demo-00000085', 'demo-00000113', 'demo-00000137', 'face-0143', 'gray-portrait'];

const aligned = sharedPath('fixtures', 'aligned');
if (aligned.skip) {
  console.log(`skipped: ${aligned.skip}`);
  process.exit(0);
}

interface Deviation {
  shift: Point;
  scale: number;
  degrees: number;
}

function deviation(m: Affine): Deviation {
  const [cx, cy] = applyAffine(m, [256, 256]);
  return { shift: [cx - 256, cy - 256], scale: Math.sqrt(m[0] * m[4] - m[1] * m[3]), degrees: (Math.atan2(m[3], m[0]) * 180) / Math.PI };
}

const fmt = (d: Deviation) =>
  `(${d.shift[0].toFixed(1).padStart(5)}, ${d.shift[1].toFixed(1).padStart(5)}) px ${d.scale.toFixed(3)} ${d.degrees.toFixed(2).padStart(5)} deg`;

function sd(values: number[]): number {
  const m = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / values.length);
}

console.log('face            from the detection                    27 boxes averaged                     eye centre sd over the boxes');
for (const name of FACES) {
  const photo = await decodePhoto(path.join(aligned.path, `${name}.png`));
  const [face] = (await detectFaces(photo.image)).filter((f) => !f.skipped);
  const [bx, by, bw, bh] = face.box;
  const runs: DetectedFace['points'][] = [];
  for (const k of [0.9, 1, 1.1]) {
    for (const dx of [-0.06, 0, 0.06]) {
      for (const dy of [-0.06, 0, 0.06]) {
        const w = bw * k;
        const h = bh * k;
        const box: DetectedFace['box'] = [bx + bw / 2 + dx * bw - w / 2, by + bh / 2 + dy * bh - h / 2, w, h];
        const found = await landmarksInBox(photo.image, box);
        if (found.fromNet) runs.push(found.points);
      }
    }
  }
  const averaged = runs[0].map((_, i): Point => [runs.reduce((s, p) => s + p[i][0], 0) / runs.length, runs.reduce((s, p) => s + p[i][1], 0) / runs.length]) as DetectedFace['points'];
  const eyeSd = Math.max(...[0, 1].flatMap((e) => [sd(runs.map((p) => p[e][0])), sd(runs.map((p) => p[e][1]))]));
  console.log(
    `${name.padEnd(15)} ${fmt(deviation(faceTransform(face, 512)))}   ${fmt(deviation(faceTransform({ points: averaged }, 512)))}   ${eyeSd.toFixed(2)} px (${runs.length} boxes)`,
  );
}
