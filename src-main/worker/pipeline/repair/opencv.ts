/**
 * OpenCV.js (WebAssembly, @techstark/opencv-js) loaded once per process. The repair stage uses it for
 * the solved parts: morphology, resizing, connected components and Telea inpainting. Loading compiles
 * the 10 MB module (about half a second), so it happens on first use, not at worker start.
 */
import { createRequire } from 'node:module';
import type * as OpenCv from '@techstark/opencv-js';

export type Cv = typeof OpenCv;
export type Mat = OpenCv.Mat;

let loading: Promise<Cv> | undefined;

export function loadOpenCv(): Promise<Cv> {
  loading ??= new Promise<Cv>((resolve, reject) => {
    try {
      const require = createRequire(import.meta.url);
      const cv = require('@techstark/opencv-js') as Cv & { then?: (ready: () => void) => void };
      if (typeof cv.then !== 'function') {
        resolve(cv);
        return;
      }
      // Emscripten's module object is a thenable until its runtime is ready; a Promise resolved
      // with a thenable would wait on it forever, so drop `then` once ready (as newer Emscripten does).
      cv.then(() => {
        delete cv.then;
        resolve(cv);
      });
    } catch (err) {
      reject(err);
    }
  });
  return loading;
}

/** Run `fn` and delete every Mat it registered, whatever happens (wasm memory is not collected). */
export function withMats<T>(fn: (keep: <M extends { delete(): void }>(m: M) => M) => T): T {
  const mats: { delete(): void }[] = [];
  try {
    return fn((m) => {
      mats.push(m);
      return m;
    });
  } finally {
    for (const m of mats) m.delete();
  }
}
