/**
 * The pipeline's in-memory image: interleaved RGB (3 channels), 8 or 16 bits per channel, upright.
 * Whole photos stay in their integer type (a 12 MP float copy would cost 144 MB per copy); only face
 * regions are converted to float.
 */
export interface Raster {
  width: number;
  height: number;
  /** 8 -> Uint8Array, 16 -> Uint16Array; values 0..maxValue(depth). */
  depth: 8 | 16;
  data: Uint8Array | Uint16Array;
}

export function maxValue(depth: 8 | 16): number {
  return depth === 16 ? 65535 : 255;
}

export function createRaster(width: number, height: number, depth: 8 | 16): Raster {
  const n = width * height * 3;
  return { width, height, depth, data: depth === 16 ? new Uint16Array(n) : new Uint8Array(n) };
}

export function cloneRaster(r: Raster): Raster {
  return { width: r.width, height: r.height, depth: r.depth, data: r.data.slice() };
}

/**
 * A sharp output Buffer as the typed array of its depth, without copying when that is safe.
 * sharp's WebAssembly build (the Linux app's) returns Buffers that are views on its heap (a
 * SharedArrayBuffer), freed when the Buffer object is collected: a view made from `buf.buffer`
 * would outlive it and see the memory reused by the next image. Those are copied out.
 */
export function typedPixels(buf: Buffer, depth: 8 | 16): Uint8Array | Uint16Array {
  if (buf.buffer instanceof SharedArrayBuffer) {
    const copy = new Uint8Array(buf);
    return depth === 8 ? copy : new Uint16Array(copy.buffer, 0, copy.length / 2);
  }
  if (depth === 8) return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  if (buf.byteOffset % 2 === 0) return new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2);
  const copy = new Uint8Array(buf);
  return new Uint16Array(copy.buffer, 0, copy.length / 2);
}

/** BT.601 luma/chroma of gamma-encoded RGB; used for tone detection and colour transfer. */
export function rgbToYcc(r: number, g: number, b: number): [number, number, number] {
  const y = 0.299 * r + 0.587 * g + 0.114 * b;
  return [y, (b - y) * 0.564, (r - y) * 0.713];
}

export function yccToRgb(y: number, cb: number, cr: number): [number, number, number] {
  const r = y + cr / 0.713;
  const b = y + cb / 0.564;
  const g = (y - 0.299 * r - 0.114 * b) / 0.587;
  return [r, g, b];
}
