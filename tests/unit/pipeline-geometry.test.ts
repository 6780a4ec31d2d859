import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Point } from '../../src-shared/faces.ts';
import {
  type Affine,
  FFHQ_TEMPLATE_512,
  applyAffine,
  composeAffine,
  estimateSimilarity,
  invertAffine,
  templateFor,
} from '../../src-main/worker/pipeline/geometry.ts';
import { sideBySide } from '../../src-main/worker/pipeline/pairs.ts';
import { maskAt } from '../../src-main/worker/pipeline/paste.ts';

function similarity(scale: number, angle: number, tx: number, ty: number): Affine {
  const c = scale * Math.cos(angle);
  const s = scale * Math.sin(angle);
  return [c, -s, tx, s, c, ty];
}

function near(a: readonly number[], b: readonly number[], tol: number, what: string): void {
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `${what}[${i}]: ${v} vs ${b[i]}`));
}

test('estimateSimilarity recovers an exact similarity (scale, rotation, translation)', () => {
  for (const [k, a, tx, ty] of [
    [1, 0, 0, 0],
    [0.37, 0.4, 120.5, -33],
    [4.2, -2.9, -800, 1500.25],
    [1.7, Math.PI, 3, 4],
  ]) {
    const t = similarity(k, a, tx, ty);
    const src = FFHQ_TEMPLATE_512.map((p) => applyAffine(invertAffine(t), p));
    near(estimateSimilarity(src, FFHQ_TEMPLATE_512), t, 1e-9, `scale ${k} angle ${a}`);
  }
});

test('estimateSimilarity is the least-squares fit: residuals are orthogonal to every parameter', () => {
  const src: Point[] = [[10, 12], [40, 11], [26, 30], [14, 44], [39, 45]];
  const dst: Point[] = [[101, 203], [161, 199], [133, 240], [109, 266], [157, 272]];
  const m = estimateSimilarity(src, dst);
  assert.ok(Math.abs(m[0] - m[4]) < 1e-12 && Math.abs(m[1] + m[3]) < 1e-12, 'no shear, no reflection');
  // Gradient of sum |T p - q|^2 w.r.t. (a, b, tx, ty) must vanish at the optimum.
  let ga = 0, gb = 0, gx = 0, gy = 0;
  for (let i = 0; i < src.length; i++) {
    const [x, y] = src[i];
    const [u, v] = applyAffine(m, src[i]);
    const rx = u - dst[i][0];
    const ry = v - dst[i][1];
    ga += rx * x + ry * y;
    gb += -rx * y + ry * x;
    gx += rx;
    gy += ry;
  }
  near([ga, gb, gx, gy], [0, 0, 0, 0], 1e-6, 'gradient');
});

test('estimateSimilarity with weights: a point of weight 0 does not move the fit, and weights equal repeated points', () => {
  const t = similarity(0.8, 0.1, 30, -12);
  const src = FFHQ_TEMPLATE_512.map((p) => applyAffine(invertAffine(t), p));
  // The nose moved 20 px down: with weight 0 the exact transform is still recovered.
  const moved = src.map((p, i): Point => (i === 2 ? [p[0], p[1] + 20] : p));
  near(estimateSimilarity(moved, FFHQ_TEMPLATE_512, [1, 1, 0, 1, 1]), t, 1e-9, 'nose ignored');
  const unweighted = estimateSimilarity(moved, FFHQ_TEMPLATE_512);
  assert.ok(Math.abs(unweighted[2] - t[2]) + Math.abs(unweighted[5] - t[5]) > 1, 'without weights the nose pulls the fit');
  // Weight 2 on a point is the same fit as that point listed twice.
  const twice = estimateSimilarity([...moved, moved[0]], [...FFHQ_TEMPLATE_512, FFHQ_TEMPLATE_512[0]]);
  near(estimateSimilarity(moved, FFHQ_TEMPLATE_512, [2, 1, 1, 1, 1]), twice, 1e-9, 'weight 2');
  assert.throws(() => estimateSimilarity(moved, FFHQ_TEMPLATE_512, [0, 0, 0, 0, 0]), /positive weight/);
});

test('estimateSimilarity rejects degenerate input', () => {
  assert.throws(() => estimateSimilarity([[1, 1], [1, 1]], [[0, 0], [1, 1]]));
  assert.throws(() => estimateSimilarity([[1, 1]], [[0, 0]]));
});

test('invertAffine and composeAffine', () => {
  const t: Affine = [1.3, 0.2, 5, -0.4, 0.9, -7];
  near(composeAffine(invertAffine(t), t), [1, 0, 0, 0, 1, 0], 1e-12, 'inverse o t');
  const u: Affine = [0.5, -1, 2, 3, 0.25, 1];
  const p: Point = [3.5, -2];
  near(applyAffine(composeAffine(u, t), p), applyAffine(u, applyAffine(t, p)), 1e-12, 'compose');
});

test('the template scales with the face size', () => {
  const t = templateFor(256);
  near(t[2], [FFHQ_TEMPLATE_512[2][0] / 2, FFHQ_TEMPLATE_512[2][1] / 2], 1e-12, 'nose');
});

test('the feather mask is 0 at the face border, 1 in the middle, monotone and smooth in between', () => {
  const s = 512;
  assert.equal(maskAt(0, 256, s), 0);
  assert.equal(maskAt(256, 256, s), 1);
  assert.equal(maskAt(s - 1, 300, s), 0);
  let prev = 0;
  let maxStep = 0;
  for (let u = 0; u <= 256; u += 0.5) {
    const w = maskAt(u, 256, s);
    assert.ok(w >= prev, 'monotone');
    maxStep = Math.max(maxStep, w - prev);
    prev = w;
  }
  assert.ok(maxStep < 0.02, `no hard edge (largest step per half pixel ${maxStep})`);
});

test('side-by-side puts before left, a white divider, after right', () => {
  const before = { width: 2, height: 1, depth: 8 as const, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
  const after = { width: 2, height: 1, depth: 8 as const, data: new Uint8Array([7, 8, 9, 10, 11, 12]) };
  const p = sideBySide(before, after);
  assert.equal(p.width, 6);
  assert.deepEqual([...p.data], [1, 2, 3, 4, 5, 6, 255, 255, 255, 255, 255, 255, 7, 8, 9, 10, 11, 12]);
});
