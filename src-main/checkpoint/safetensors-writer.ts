import { open, rename, rm } from 'node:fs/promises';
import { DTYPE_BYTES } from './safetensors.ts';
import type { DType } from './tensor-source.ts';

/** A tensor to write. `data` is raw little-endian bytes, or a typed array matching `dtype`. */
export interface TensorToWrite {
  name: string;
  dtype: DType;
  shape: number[];
  data: Uint8Array | Float32Array | BigInt64Array;
}

function asBytes(t: TensorToWrite): Uint8Array {
  const { data } = t;
  if (data instanceof Float32Array && t.dtype !== 'F32') throw new Error(`${t.name}: Float32Array data needs dtype F32`);
  if (data instanceof BigInt64Array && t.dtype !== 'I64') throw new Error(`${t.name}: BigInt64Array data needs dtype I64`);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== n * DTYPE_BYTES[t.dtype]) {
    throw new Error(`${t.name}: ${bytes.byteLength} bytes do not match shape ${JSON.stringify(t.shape)} of ${t.dtype}`);
  }
  return bytes;
}

/**
 * Writes a safetensors file (tensors in the given order, header padded with spaces to a multiple
 * of 8 like the reference implementation). Writes to a temp name and renames, so a crash never
 * leaves a half-written file under `filePath`.
 */
export async function writeSafetensors(
  filePath: string,
  tensors: TensorToWrite[],
  metadata?: Record<string, string>,
): Promise<void> {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (t.name in header) throw new Error(`duplicate tensor name "${t.name}"`);
    const bytes = asBytes(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    blobs.push(bytes);
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.byteLength));

  const tmp = `${filePath}.tmp-${process.pid}-${Date.now()}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(len);
    await fh.write(headerBytes);
    for (const b of blobs) await fh.write(b);
    await fh.close();
    await rename(tmp, filePath);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}
