import { open, type FileHandle } from 'node:fs/promises';
import { UserError } from '../util/errors.ts';
import type { DType, TensorData, TensorInfo, TensorSource } from './tensor-source.ts';

/**
 * Reader for the safetensors format (https://github.com/huggingface/safetensors):
 *   [u64 LE header length N][N bytes of JSON header][data buffer]
 * The header maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to
 * the data buffer) plus an optional `__metadata__` map of strings. The header is treated as
 * untrusted data and validated fully before any tensor is read; tensors are then read one at a
 * time with positioned reads, so a 923 MB checkpoint never sits in memory as a whole.
 */

/** Headers larger than this are refused (the real PMRF header is ~100 KB). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** Highest tensor rank accepted: far above anything a checkpoint holds, guards absurd headers. */
const MAX_RANK = 8;

export const DTYPE_BYTES: Readonly<Record<DType, number>> = { F32: 4, F16: 2, BF16: 2, I64: 8 };

/** A bad or unreadable safetensors file. A UserError: the CLI prints its message as is. */
export class SafetensorsError extends UserError {
  constructor(
    readonly filePath: string,
    what: string,
    options?: { cause?: unknown },
  ) {
    super(`${filePath}: ${what}`, options);
    this.name = 'SafetensorsError';
  }
}

/** One tensor of the file, with absolute byte positions in the file. */
export interface SafetensorsEntry extends TensorInfo {
  /** Absolute file offset of the first byte. */
  begin: number;
  /** Number of bytes (= elements * dtype size). */
  byteLength: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Absolute offset of the data buffer (8 + header length). */
  dataStart: number;
}

function isDType(s: unknown): s is DType {
  return s === 'F32' || s === 'F16' || s === 'BF16' || s === 'I64';
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Validates a parsed header. `headerLength` is N, `fileSize` the whole file's size; both are
 * needed to check every tensor lies inside the file. Pure: unit-testable without a file.
 */
export function parseSafetensorsHeader(
  json: unknown,
  headerLength: number,
  fileSize: number,
  filePath: string,
): SafetensorsHeader {
  const fail = (what: string): never => {
    throw new SafetensorsError(filePath, what);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail('safetensors header is not a JSON object');
  }
  const dataStart = 8 + headerLength;
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const t = `tensor "${name}"`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`${t}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (!isDType(dtype)) {
      fail(`${t}: unsupported dtype ${JSON.stringify(dtype)} (supported: F32, F16, BF16, I64)`);
    }
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isNonNegInt)) {
      fail(`${t}: invalid shape ${JSON.stringify(shape)} (expected up to ${MAX_RANK} non-negative integers)`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt) || offsets[0] > offsets[1]) {
      fail(`${t}: invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const dims = shape as number[];
    const [b, e] = offsets as [number, number];
    let elements = 1;
    for (const d of dims) {
      elements *= d;
      if (!Number.isSafeInteger(elements)) fail(`${t}: shape ${JSON.stringify(dims)} is too large`);
    }
    const byteLength = elements * DTYPE_BYTES[dtype as DType];
    if (e - b !== byteLength) {
      fail(
        `${t}: data_offsets [${b}, ${e}] hold ${e - b} bytes but shape ${JSON.stringify(dims)} ` +
          `of ${dtype} needs ${byteLength}`,
      );
    }
    if (e > dataSize) {
      fail(
        `${t}: data ends at byte ${dataStart + e} but the file has only ${fileSize} bytes ` +
          `(truncated or corrupt file)`,
      );
    }
    entries.push({ name, dtype: dtype as DType, shape: [...dims], begin: dataStart + b, byteLength });
  }
  // Overlap check: sort by position, each tensor must start at or after the previous end.
  const sorted = [...entries].sort((x, y) => x.begin - y.begin || x.byteLength - y.byteLength);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (cur.begin < prev.begin + prev.byteLength) {
      fail(`tensors "${prev.name}" and "${cur.name}" overlap in the data buffer`);
    }
  }
  // "In file order": order by position so sequential readers move forward through the file.
  return { entries: sorted, metadata, dataStart };
}

/** Reads exactly `length` bytes at `position` (a single read may return fewer). */
async function readExactly(fh: FileHandle, length: number, position: number, filePath: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError(filePath, `unexpected end of file at byte ${position + done} (truncated file?)`);
    }
    done += bytesRead;
  }
  return out;
}

let f16Table: Float32Array | undefined;
/** IEEE half -> float32 for all 65536 bit patterns (256 KB, built on first use). */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac === 0 ? sign * Infinity : NaN;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  f16Table = t;
  return t;
}

/** Widens raw little-endian bytes of `dtype` to the engine's element types. */
export function decodeTensorBytes(bytes: Uint8Array, dtype: DType): TensorData {
  // `bytes` must own an aligned buffer from offset 0: readExactly allocates a fresh one.
  const aligned = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength ? bytes : bytes.slice();
  const buf = aligned.buffer as ArrayBuffer;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf, 0, aligned.byteLength / 4);
    case 'I64':
      return new BigInt64Array(buf, 0, aligned.byteLength / 8);
    case 'F16': {
      const src = new Uint16Array(buf, 0, aligned.byteLength / 2);
      const table = halfTable();
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits into place.
      const src = new Uint16Array(buf, 0, aligned.byteLength / 2);
      const out = new Uint32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
      return new Float32Array(out.buffer);
    }
  }
}

/** An open safetensors file. Create with `openSafetensors`; call `close()` when done. */
export class SafetensorsFile implements TensorSource {
  private readonly byName: Map<string, SafetensorsEntry>;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly header: SafetensorsHeader,
    readonly fileSize: number,
  ) {
    this.byName = new Map(header.entries.map((e) => [e.name, e]));
  }

  /** Opens and validates `filePath`. Throws SafetensorsError for any malformed file. */
  static async open(filePath: string): Promise<SafetensorsFile> {
    let fh: FileHandle;
    try {
      fh = await open(filePath, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const what = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : `cannot open (${code ?? String(err)})`;
      throw new SafetensorsError(filePath, what, { cause: err });
    }
    try {
      const { size } = await fh.stat();
      if (size < 8) throw new SafetensorsError(filePath, `file is ${size} bytes, too short to be a safetensors file`);
      const lenBytes = await readExactly(fh, 8, 0, filePath);
      const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
      if (n > BigInt(MAX_HEADER_BYTES)) {
        throw new SafetensorsError(filePath, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
      }
      const headerLength = Number(n);
      if (8 + headerLength > size) {
        throw new SafetensorsError(filePath, `header length ${headerLength} runs past the end of the ${size}-byte file (truncated?)`);
      }
      const headerBytes = await readExactly(fh, headerLength, 8, filePath);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
      } catch (err) {
        throw new SafetensorsError(filePath, 'header is not valid UTF-8', { cause: err });
      }
      if (!text.startsWith('{')) throw new SafetensorsError(filePath, 'header does not start with "{" (not a safetensors file?)');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new SafetensorsError(filePath, `header is not valid JSON (${(err as Error).message})`, { cause: err });
      }
      const header = parseSafetensorsHeader(json, headerLength, size, filePath);
      return new SafetensorsFile(filePath, fh, header, size);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.header.metadata;
  }

  list(): TensorInfo[] {
    return this.header.entries.map(({ name, dtype, shape }) => ({ name, dtype, shape: [...shape] }));
  }

  info(name: string): TensorInfo | undefined {
    const e = this.byName.get(name);
    return e ? { name: e.name, dtype: e.dtype, shape: [...e.shape] } : undefined;
  }

  /** Position and size of a tensor's bytes in the file (for readers that stream or mmap). */
  entry(name: string): SafetensorsEntry {
    const e = this.byName.get(name);
    if (!e) throw new SafetensorsError(this.path, `no tensor named "${name}"`);
    return e;
  }

  /** The tensor's bytes exactly as stored (little-endian, its own dtype). */
  async readRaw(name: string): Promise<Uint8Array> {
    if (this.closed) throw new SafetensorsError(this.path, `cannot read "${name}": file is closed`);
    const e = this.entry(name);
    return readExactly(this.fh, e.byteLength, e.begin, this.path);
  }

  async read(name: string): Promise<TensorData> {
    const e = this.entry(name);
    return decodeTensorBytes(await this.readRaw(name), e.dtype);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}

/** Opens a safetensors checkpoint for tensor-by-tensor reading. */
export function openSafetensors(filePath: string): Promise<SafetensorsFile> {
  return SafetensorsFile.open(filePath);
}
