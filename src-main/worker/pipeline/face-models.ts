/**
 * face-api's networks (SSD MobileNet v1 face detector, 68-point landmarks) on tfjs's WebAssembly
 * backend, loaded once per process: no native download, no canvas. detect.ts and landmarks.ts use them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');
export type Tf = typeof import('@tensorflow/tfjs');
export type Tensor3D = import('@tensorflow/tfjs').Tensor3D;

export interface FaceModels {
  faceapi: FaceApi;
  tf: Tf;
}

let models: Promise<FaceModels> | undefined;

/** tfjs + models are initialised once per process, on first use. */
export function loadDetector(): Promise<FaceModels> {
  models ??= (async () => {
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
  models.catch(() => {
    models = undefined;
  });
  return models;
}
