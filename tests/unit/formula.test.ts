import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  fnv1a32,
  formulaCheckpoint,
  formulaNoise,
  formulaRule,
  formulaTensor,
  openVectorsCheckpoint,
  readVectorKeys,
} from '../../src-main/checkpoint/formula.ts';
import { openSafetensors } from '../../src-main/checkpoint/safetensors.ts';
import { lowbias32 } from '../../src-main/util/hash32.ts';
import { projectFixtures, sharedPath } from '../helpers/shared.ts';

const tinyDir = path.join(projectFixtures, 'pmrf', 'tiny');
const full = sharedPath('pmrf', 'vectors', 'full');

function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

test('fnv1a32 and lowbias32 known values', () => {
  // FNV-1a test vectors: "" -> basis, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  assert.equal(lowbias32(0), 0);
  // Unsigned results, also for inputs with the top bit set.
  assert.ok(lowbias32(0xffffffff) >= 0);
  assert.equal(lowbias32(1), lowbias32(2 ** 32 + 1));
});

test('formula rules follow the README order', () => {
  assert.equal(formulaRule('model.x.self_attn.pos_emb.freqs', [4, 8]), undefined);
  assert.equal(formulaRule('mmse_model.layers.0.residual_group.blocks.1.attn_mask', [64, 64, 64]), undefined);
  assert.deepEqual(formulaRule('a.weight', [10, 3, 3, 3]), { center: 0, spread: Math.sqrt(3 / 27) });
  assert.deepEqual(formulaRule('a.bias', [10]), { center: 0, spread: 0.02 });
  assert.deepEqual(formulaRule('model.mid_level.0.self_attn.scale', [16]), { center: 10, spread: 2 });
  assert.deepEqual(formulaRule('model.fac', [1]), { center: 0.5, spread: 0.2 });
  assert.deepEqual(formulaRule('model.out_norm.scale', [256]), { center: 1, spread: 0.1 });
});

test('every formula tensor of tiny/keys.json reproduces checkpoint.safetensors bit for bit', async () => {
  const keys = await readVectorKeys(tinyDir);
  const st = await openSafetensors(path.join(tinyDir, 'checkpoint.safetensors'));
  let generated = 0;
  try {
    for (const k of keys) {
      if (k.fill !== 'formula') continue;
      const ours = bytesOf(formulaTensor(k.name, k.shape));
      const ref = Buffer.from(await st.readRaw(k.name));
      assert.ok(ours.equals(ref), `${k.name} differs`);
      generated++;
    }
  } finally {
    await st.close();
  }
  assert.equal(generated, 136);
});

test('formula noise reproduces tiny noise.bin bit for bit', async () => {
  const ref = await readFile(path.join(tinyDir, 'noise.bin'));
  const z = formulaNoise(ref.byteLength / 4);
  assert.equal(z.length, 3 * 128 * 128);
  assert.ok(bytesOf(z).equals(ref));
});

test('formula noise reproduces full noise.bin bit for bit', { skip: full.skip }, async () => {
  const ref = await readFile(path.join(full.path, 'noise.bin'));
  const z = formulaNoise(3 * 512 * 512);
  assert.equal(ref.byteLength, z.byteLength);
  assert.ok(bytesOf(z).equals(ref));
});

test('openVectorsCheckpoint serves the tiny form from checkpoint.safetensors', async () => {
  const src = await openVectorsCheckpoint(tinyDir);
  try {
    assert.equal(src.list().length, 148);
  } finally {
    await src.close();
  }
});

test('full form: keys, shapes and dtypes match keys.json; kept and formula tensors read', { skip: full.skip }, async () => {
  const keys = await readVectorKeys(full.path);
  const src = await openVectorsCheckpoint(full.path);
  try {
    assert.deepEqual(
      src.list(),
      keys.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
    );
    assert.ok(src.list().some((t) => t.name.startsWith('model.')));
    assert.ok(src.list().some((t) => t.name.startsWith('mmse_model.')));
    const meta = JSON.parse(await readFile(path.join(full.path, 'meta.json'), 'utf8')) as { num_parameters: number };
    const floats = keys.filter((k) => k.dtype === 'F32').reduce((s, k) => s + k.shape.reduce((a, b) => a * b, 1), 0);
    assert.ok(floats >= meta.num_parameters, `${floats} float elements cover ${meta.num_parameters} parameters`);

    const freqs = await src.read('model.down_levels.0.0.self_attn.pos_emb.freqs');
    assert.equal(freqs.length, 32);
    const q = keys.find((k) => k.name === 'model.mid_level.0.self_attn.qkv_proj.weight');
    assert.ok(q);
    const w = await src.read(q.name);
    assert.ok(w instanceof Float32Array);
    assert.ok(bytesOf(w).equals(bytesOf(formulaTensor(q.name, q.shape))));
    await assert.rejects(src.read('no.such.tensor'), /no tensor named/);
  } finally {
    await src.close();
  }
  // The explicit constructor gives the same list.
  const again = await formulaCheckpoint(full.path);
  assert.equal(again.list().length, keys.length);
  await again.close();
});
