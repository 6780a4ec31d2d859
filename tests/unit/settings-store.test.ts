import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SETTINGS } from '../../src-shared/settings.ts';
import { SettingsStore, defaultAppSettings, mergeOverDefaults } from '../../src-main/services/settings-store.ts';
import { savedRestoreSettingsSchema } from '../../src-shared/ipc.ts';
import { settingsKey } from '../../src-main/library/photos.ts';

function tempFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'heirloom-settings-')), 'settings.json');
}

test('settings: missing file gives the defaults; set writes JSON atomically and a new store reads it back', () => {
  const file = tempFile();
  const store = new SettingsStore(file);
  assert.deepEqual(store.get(), defaultAppSettings());
  const next = { restore: { ...DEFAULT_SETTINGS, steps: 9, format: 'png' as const }, outputFolder: '/photos/out' };
  store.set(next);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), next);
  assert.deepEqual(readdirSync(path.dirname(file)), ['settings.json'], 'no temporary file left behind');
  assert.deepEqual(new SettingsStore(file).get(), next);
  // get() hands out a copy: changing it changes nothing stored.
  const copy = store.get();
  copy.restore.steps = 50;
  assert.equal(store.get().restore.steps, 9);
});

test('settings: invalid values are refused by set and nothing is written', () => {
  const file = tempFile();
  const store = new SettingsStore(file);
  assert.throws(() => store.set({ restore: { ...DEFAULT_SETTINGS, steps: 0 }, outputFolder: null }));
  assert.deepEqual(readdirSync(path.dirname(file)), []);
});

test('settings: a damaged file gives the defaults; an old or partly bad one keeps what is valid', () => {
  const damaged = tempFile();
  writeFileSync(damaged, '{"restore": {"steps": 4');
  assert.deepEqual(new SettingsStore(damaged).get(), defaultAppSettings());

  const old = tempFile();
  // An older version's file: fewer fields, one value out of range, one unknown field.
  writeFileSync(old, JSON.stringify({ restore: { steps: 500, format: 'webp', scale: 2, retired: true }, outputFolder: '/photos/out' }));
  const s = new SettingsStore(old).get();
  assert.equal(s.outputFolder, '/photos/out', 'the chosen output folder survives');
  assert.equal(s.restore.format, 'webp');
  assert.equal(s.restore.scale, 2);
  assert.equal(s.restore.steps, DEFAULT_SETTINGS.steps, 'the bad value falls back to its default');
  assert.equal('retired' in s.restore, false);
});

test('settings: the binary mode of older files becomes fidelity (flow 1, mean 0); sampler and strength get defaults', () => {
  for (const [mode, fidelity] of [['mean', 0], ['flow', 1]] as const) {
    const file = tempFile();
    writeFileSync(file, JSON.stringify({ restore: { ...DEFAULT_SETTINGS, fidelity: undefined, sampler: undefined, strength: undefined, mode, steps: 7 }, outputFolder: null }));
    const s = new SettingsStore(file).get();
    assert.equal(s.restore.fidelity, fidelity);
    assert.equal(s.restore.sampler, 'euler');
    assert.equal(s.restore.strength, 1);
    assert.equal(s.restore.steps, 7);
    assert.equal('mode' in s.restore, false);
  }
  // A file that has fidelity keeps it whatever else it says.
  const file = tempFile();
  writeFileSync(file, JSON.stringify({ restore: { mode: 'flow', fidelity: 0.4, sampler: 'multistep2', strength: 2 } }));
  const s = new SettingsStore(file).get();
  assert.equal(s.restore.fidelity, 0.4);
  assert.equal(s.restore.sampler, 'multistep2');
  assert.equal(s.restore.strength, 1, 'strength above 1 is refused');
});

test('saved restore settings (jobs, results) from before the fidelity control parse with mode mapped', () => {
  const old = { steps: 4, mode: 'mean', seed: 7, scale: 2, format: 'png', quality: 92, pairs: 'none', device: 'cpu' };
  const s = savedRestoreSettingsSchema.parse(old);
  const { mode: _mode, ...rest } = old;
  // Saved before the print repair and colour correction existed: they ran without them.
  assert.deepEqual(s, { ...rest, fidelity: 0, sampler: 'euler', strength: 1, consistency: 0, repair: false, fixColour: false });
  assert.equal(savedRestoreSettingsSchema.parse({ ...old, mode: 'flow' }).fidelity, 1);
  // Their keys are the ones they had: a result restored as 'flow' is not out of date after the upgrade.
  assert.equal(settingsKey(savedRestoreSettingsSchema.parse({ ...old, mode: 'flow' })), '{"steps":4,"mode":"flow","seed":7,"scale":2,"format":"png","quality":92,"pairs":"none","device":"cpu"}');
  assert.match(settingsKey({ ...s, fidelity: 0.5, sampler: 'heun' }), /"fidelity":0.5.*"sampler":"heun"/);
  // Repair and colour correction count when on, and read back as they were.
  const on = settingsKey({ ...s, repair: true, fixColour: true });
  assert.match(on, /"repair":true,"fixColour":true/);
  assert.deepEqual([savedRestoreSettingsSchema.parse(JSON.parse(on)).repair, savedRestoreSettingsSchema.parse(JSON.parse(on)).fixColour], [true, true]);
});

test('a settings file from before the print repair gets its defaults', () => {
  const { settings } = mergeOverDefaults({ restore: { steps: 4, seed: 7 }, outputFolder: null });
  assert.equal(settings.restore.repair, DEFAULT_SETTINGS.repair);
  assert.equal(settings.restore.fixColour, DEFAULT_SETTINGS.fixColour);
});
