import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSafetensors, SafetensorsError } from '../../src-main/checkpoint/safetensors.ts';
import { writeSafetensors } from '../../src-main/checkpoint/safetensors-writer.ts';
import { UserError } from '../../src-main/util/errors.ts';
import { projectFixtures } from '../helpers/shared.ts';

const tinyDir = path.join(projectFixtures, 'pmrf', 'tiny');
let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'heirloom-st-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `[u64 len][header text][data]` exactly as given (no validation). */
async function craft(name: string, header: string | object, data: Uint8Array = new Uint8Array(0), lenOverride?: bigint): Promise<string> {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(h.byteLength));
  const p = path.join(dir, name);
  await writeFile(p, Buffer.concat([len, h, data]));
  return p;
}

async function rejectsWith(p: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openSafetensors(p), (err: unknown) => {
    assert.ok(err instanceof SafetensorsError, `expected SafetensorsError, got ${String(err)}`);
    assert.ok(err instanceof UserError);
    assert.ok(err.message.includes(p), `message names the file: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

test('reads F32, F16, BF16 and I64 tensors and metadata', async () => {
  const half = new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00]); // 1, -2, 2^-24, 65504, inf
  const bf = new Uint16Array([0x3f80, 0xbfc0]); // 1, -1.5
  const p = path.join(dir, 'ok.safetensors');
  await writeSafetensors(
    p,
    [
      { name: 'a', dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4.5]) },
      { name: 'h', dtype: 'F16', shape: [5], data: new Uint8Array(half.buffer) },
      { name: 'b', dtype: 'BF16', shape: [2], data: new Uint8Array(bf.buffer) },
      { name: 'i', dtype: 'I64', shape: [3], data: new BigInt64Array([1n, -2n, 1n << 40n]) },
      { name: 'scalar', dtype: 'F32', shape: [], data: new Float32Array([7]) },
    ],
    { format: 'pt' },
  );
  const st = await openSafetensors(p);
  try {
    assert.deepEqual(st.metadata, { format: 'pt' });
    assert.deepEqual(st.list().map((t) => t.name), ['a', 'h', 'b', 'i', 'scalar']);
    assert.deepEqual(st.info('a'), { name: 'a', dtype: 'F32', shape: [2, 2] });
    assert.equal(st.info('nope'), undefined);
    assert.deepEqual([...(await st.read('a'))], [1, 2, 3, 4.5]);
    assert.deepEqual([...(await st.read('h'))], [1, -2, 2 ** -24, 65504, Infinity]);
    assert.deepEqual([...(await st.read('b'))], [1, -1.5]);
    const i = await st.read('i');
    assert.ok(i instanceof BigInt64Array);
    assert.deepEqual([...i], [1n, -2n, 1n << 40n]);
    assert.deepEqual([...(await st.read('scalar'))], [7]);
    assert.deepEqual([...(await st.readRaw('a'))], [...f32(1, 2, 3, 4.5)]);
    await assert.rejects(st.read('missing'), /no tensor named "missing"/);
  } finally {
    await st.close();
  }
  await assert.rejects(st.read('a'), /closed/);
});

test('missing file', async () => {
  await rejectsWith(path.join(dir, 'absent.safetensors'), /file not found/);
});

test('file shorter than the length prefix', async () => {
  const p = path.join(dir, 'short.safetensors');
  await writeFile(p, Buffer.from([1, 2, 3]));
  await rejectsWith(p, /too short/);
});

test('header length over the cap', async () => {
  await rejectsWith(await craft('huge.safetensors', '{}', undefined, 1n << 40n), /exceeds the .*limit/);
});

test('header length past the end of the file (truncated header)', async () => {
  await rejectsWith(await craft('trunc-header.safetensors', '{"a":', undefined, 500n), /past the end/);
});

test('bad JSON', async () => {
  await rejectsWith(await craft('badjson.safetensors', '{"a": [1, 2'), /not valid JSON/);
});

test('header that is not an object', async () => {
  await rejectsWith(await craft('notobj.safetensors', '[1,2,3]'), /does not start with|not a JSON object/);
  await rejectsWith(await craft('notobj2.safetensors', '{"a": 3}'), /entry is not an object/);
});

test('unsupported dtype names the tensor', async () => {
  const p = await craft('dtype.safetensors', { weird: { dtype: 'I8', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4));
  await rejectsWith(p, /tensor "weird": unsupported dtype "I8"/);
});

test('invalid shapes', async () => {
  await rejectsWith(await craft('neg.safetensors', { t: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /invalid shape/);
  await rejectsWith(await craft('frac.safetensors', { t: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, new Uint8Array(4)), /invalid shape/);
  await rejectsWith(await craft('rank.safetensors', { t: { dtype: 'F32', shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], data_offsets: [0, 4] } }, new Uint8Array(4)), /invalid shape/);
});

test('byte length must equal shape x dtype size', async () => {
  const p = await craft('size.safetensors', { t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(12));
  await rejectsWith(p, /hold 8 bytes but shape \[3\] of F32 needs 12/);
});

test('invalid data_offsets', async () => {
  await rejectsWith(await craft('off1.safetensors', { t: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(8)), /invalid data_offsets/);
  await rejectsWith(await craft('off2.safetensors', { t: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(8)), /invalid data_offsets/);
});

test('tensor data beyond the end of the file (truncated data)', async () => {
  const p = await craft('trunc-data.safetensors', { t: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(10));
  await rejectsWith(p, /tensor "t": data ends at byte .* only .* bytes/);
});

test('overlapping tensors', async () => {
  const p = await craft(
    'overlap.safetensors',
    {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    },
    new Uint8Array(12),
  );
  await rejectsWith(p, /"a" and "b" overlap/);
});

test('__metadata__ must hold strings', async () => {
  await rejectsWith(await craft('meta.safetensors', { __metadata__: { n: 3 } }), /__metadata__\.n is not a string/);
});

test('non-UTF-8 header', async () => {
  const h = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(4n);
  const p = path.join(dir, 'utf8.safetensors');
  await writeFile(p, Buffer.concat([len, h]));
  await rejectsWith(p, /UTF-8/);
});

test('reads the tiny PMRF checkpoint with the shapes of keys.json', async () => {
  const keys = JSON.parse(await readFile(path.join(tinyDir, 'keys.json'), 'utf8')) as { name: string; shape: number[]; dtype: string }[];
  const st = await openSafetensors(path.join(tinyDir, 'checkpoint.safetensors'));
  try {
    assert.equal(st.list().length, keys.length);
    for (const k of keys) {
      const info = st.info(k.name);
      assert.ok(info, `has ${k.name}`);
      assert.deepEqual(info.shape, k.shape, k.name);
      assert.equal(info.dtype, k.dtype === 'int64' ? 'I64' : 'F32', k.name);
    }
    const w = await st.read('model.patch_in.proj.weight');
    assert.ok(w instanceof Float32Array);
    assert.equal(w.length, 32 * 48);
    // Formula weights are bounded by sqrt(3/fan_in) and not all zero.
    const bound = Math.sqrt(3 / 48);
    assert.ok(w.every((v) => Math.abs(v) <= bound));
    assert.ok(w.some((v) => v !== 0));
    const idxName = keys.find((k) => k.name.endsWith('relative_position_index'))?.name;
    assert.ok(idxName);
    const idx = await st.read(idxName);
    assert.ok(idx instanceof BigInt64Array);
    assert.equal(idx.length, 64 * 64);
    assert.ok(idx.every((v) => v >= 0n && v < 225n), 'indices into a 15x15 table');
  } finally {
    await st.close();
  }
});

test('writer output round-trips through the reader', async () => {
  const src = await openSafetensors(path.join(tinyDir, 'checkpoint.safetensors'));
  const out = path.join(dir, 'copy.safetensors');
  try {
    const tensors = [];
    for (const t of src.list()) tensors.push({ ...t, data: await src.readRaw(t.name) });
    await writeSafetensors(out, tensors);
  } finally {
    await src.close();
  }
  assert.deepEqual(await readFile(out), await readFile(path.join(tinyDir, 'checkpoint.safetensors')), 'byte-identical copy');
});
