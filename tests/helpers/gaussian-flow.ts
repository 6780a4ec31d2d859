/**
 * An analytic oracle for PMRF's flow (issue 10, item 4). Data X ~ N(mu, Sigma), a degraded
 * observation Y = X + sy n, the posterior mean m = E[X | Y] and PMRF's source Z0 = m + ss z.
 * Sigma = Q diag(s^2) Q^T with Q a fixed rotation of coordinate pairs, so the coordinates are
 * coupled; in Q's basis every coordinate is an independent 1-D Gaussian problem.
 *
 * Along x_t = t X + (1 - t) Z0 the marginal is Gaussian with mean mu and, per rotated coordinate,
 * variance s_t^2 = t^2 s^2 + (1 - t)^2 Var Z0 + 2 t (1 - t) Cov(X, Z0). The rectified-flow velocity
 * E[X - Z0 | x_t = x] is (s_t' / s_t)(x - mu) (its covariance with x_t is half of d s_t^2 / dt), and
 * the ODE's exact solution is x(t) = mu + (s_t / s_t0)(x(t0) - mu).
 */
import { gaussianNoise } from '../../src-main/worker/inference/noise.ts';

export interface GaussianFlow {
  dim: number;
  mu: Float64Array;
  /** Per rotated coordinate: prior sd s, noise sd sy, Wiener gain k = s^2 / (s^2 + sy^2). */
  s: Float64Array;
  k: Float64Array;
  /** PMRF's source noise sd (0.1). */
  ss: number;
  /** Rotation angle of each coordinate pair (2j, 2j+1). */
  angle: Float64Array;
}

export function makeFlow(dim: number, seed = 1, ss = 0.1): GaussianFlow {
  if (dim % 2 !== 0) throw new Error('dim must be even (coordinate pairs are rotated)');
  const u = gaussianNoise(seed, 4 * dim);
  const mu = new Float64Array(dim);
  const s = new Float64Array(dim);
  const k = new Float64Array(dim);
  const angle = new Float64Array(dim / 2);
  for (let i = 0; i < dim; i++) {
    mu[i] = 0.5 + 0.2 * Math.tanh(u[i]);
    s[i] = 0.15 + 0.1 * Math.abs(Math.tanh(u[dim + i]));
    const sy = 0.05 + 0.3 * Math.abs(Math.tanh(u[2 * dim + i]));
    k[i] = (s[i] * s[i]) / (s[i] * s[i] + sy * sy);
  }
  for (let p = 0; p < dim / 2; p++) angle[p] = Math.PI * Math.tanh(u[3 * dim + p]);
  return { dim, mu, s, k, ss, angle };
}

/** Q^T x (into the rotated basis) or Q x (back), as a new array. */
function rotate(f: GaussianFlow, x: ArrayLike<number>, back: boolean): Float64Array {
  const out = Float64Array.from(x);
  for (let p = 0; p < f.dim / 2; p++) {
    const a = back ? f.angle[p] : -f.angle[p];
    const c = Math.cos(a);
    const sn = Math.sin(a);
    const x0 = out[2 * p];
    const x1 = out[2 * p + 1];
    out[2 * p] = c * x0 - sn * x1;
    out[2 * p + 1] = sn * x0 + c * x1;
  }
  return out;
}

/** s_t^2 and d s_t^2 / dt of rotated coordinate i. */
function variance(f: GaussianFlow, i: number, t: number): { v: number; dv: number } {
  const s2 = f.s[i] * f.s[i];
  const c = f.k[i] * s2; // Cov(X, Z0) = Cov(X, m) = k s^2
  const v0 = c + f.ss * f.ss; // Var Z0 = Var m + ss^2 = k s^2 + ss^2
  return {
    v: t * t * s2 + (1 - t) * (1 - t) * v0 + 2 * t * (1 - t) * c,
    dv: 2 * t * s2 - 2 * (1 - t) * v0 + 2 * (1 - 2 * t) * c,
  };
}

/** The exact velocity at time t for a batch of points stored one after another. */
export function velocity(f: GaussianFlow, x: Float32Array, t: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < x.length / f.dim; b++) {
    const off = b * f.dim;
    const xr = rotate(f, Array.from({ length: f.dim }, (_, i) => x[off + i] - f.mu[i]), false);
    for (let i = 0; i < f.dim; i++) {
      const { v, dv } = variance(f, i, t);
      xr[i] *= dv / (2 * v);
    }
    out.set(rotate(f, xr, true), off);
  }
  return out;
}

/** The exact solution at t = 1 from x(t0), for a batch. */
export function exactEnd(f: GaussianFlow, x: Float32Array, t0: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < x.length / f.dim; b++) {
    const off = b * f.dim;
    const xr = rotate(f, Array.from({ length: f.dim }, (_, i) => x[off + i] - f.mu[i]), false);
    for (let i = 0; i < f.dim; i++) xr[i] *= Math.sqrt(variance(f, i, 1).v / variance(f, i, t0).v);
    const back = rotate(f, xr, true);
    for (let i = 0; i < f.dim; i++) out[off + i] = back[i] + f.mu[i];
  }
  return out;
}

export interface Draw {
  /** Clean data X, posterior mean m and source Z0 = m + ss z, `count` points each. */
  x: Float64Array;
  m: Float64Array;
  z0: Float32Array;
}

/** `count` joint draws of (X, m, Z0). */
export function draw(f: GaussianFlow, count: number, seed: number): Draw {
  const n = count * f.dim;
  const a = gaussianNoise(seed, n);
  const b = gaussianNoise(seed + 1, n);
  const c = gaussianNoise(seed + 2, n);
  const x = new Float64Array(n);
  const m = new Float64Array(n);
  const z0 = new Float32Array(n);
  for (let p = 0; p < count; p++) {
    const off = p * f.dim;
    const xr = new Float64Array(f.dim);
    const mr = new Float64Array(f.dim);
    for (let i = 0; i < f.dim; i++) {
      const sy = f.s[i] * Math.sqrt(1 / f.k[i] - 1);
      xr[i] = f.s[i] * a[off + i];
      const yr = xr[i] + sy * b[off + i];
      mr[i] = f.k[i] * yr;
    }
    const xb = rotate(f, xr, true);
    const mb = rotate(f, mr, true);
    for (let i = 0; i < f.dim; i++) {
      x[off + i] = xb[i] + f.mu[i];
      m[off + i] = mb[i] + f.mu[i];
      z0[off + i] = m[off + i] + f.ss * c[off + i];
    }
  }
  return { x, m, z0 };
}

/**
 * Closed form along the blend (1 - l) m + l x1 (x1 = the exact flow's end), per rotated
 * coordinate i: its MSE to X and its sd (the data's sd is s; equal means, so W2 = |sd - s|).
 * x1 - mu = c (Z0 - mu), c = s / sd(Z0); X - m is independent of (m, z), so
 * MSE(l) = (1 - k) s^2 + l^2 E(x1 - m)^2 and Var(l) = ((1 - l) + l c)^2 k s^2 + l^2 c^2 ss^2.
 */
export function blendLine(f: GaussianFlow, i: number, l: number): { mse: number; sd: number } {
  const s2 = f.s[i] * f.s[i];
  const varM = f.k[i] * s2;
  const c = f.s[i] / Math.sqrt(varM + f.ss * f.ss);
  const gap = (c - 1) * (c - 1) * varM + c * c * f.ss * f.ss;
  return {
    mse: (1 - f.k[i]) * s2 + l * l * gap,
    sd: Math.sqrt((1 - l + l * c) ** 2 * varM + l * l * c * c * f.ss * f.ss),
  };
}
