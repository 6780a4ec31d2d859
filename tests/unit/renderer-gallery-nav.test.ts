import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnsFor, navigate, select, type Selection } from '../../src-renderer/lib/gallery-nav.ts';

// 10 tiles in rows of 4: 0-3, 4-7, 8-9.
const at = (index: number) => ({ index, count: 10, columns: 4 });

test('arrow keys move within the grid and stop at its edges', () => {
  assert.deepEqual(navigate(at(0), { key: 'ArrowRight' }), { kind: 'move', index: 1 });
  assert.deepEqual(navigate(at(0), { key: 'ArrowLeft' }), { kind: 'move', index: 0 });
  assert.deepEqual(navigate(at(1), { key: 'ArrowDown' }), { kind: 'move', index: 5 });
  assert.deepEqual(navigate(at(6), { key: 'ArrowDown' }), { kind: 'move', index: 6 }, 'no tile below index 6 in the last row');
  assert.deepEqual(navigate(at(9), { key: 'ArrowUp' }), { kind: 'move', index: 5 });
  assert.deepEqual(navigate(at(2), { key: 'ArrowUp' }), { kind: 'move', index: 2 });
  assert.deepEqual(navigate(at(9), { key: 'ArrowRight' }), { kind: 'move', index: 9 });
});

test('Home/End go to the row ends, with Ctrl to the gallery ends; PageDown jumps rows', () => {
  assert.deepEqual(navigate(at(6), { key: 'Home' }), { kind: 'move', index: 4 });
  assert.deepEqual(navigate(at(5), { key: 'End' }), { kind: 'move', index: 7 });
  assert.deepEqual(navigate(at(8), { key: 'End' }), { kind: 'move', index: 9 }, 'short last row');
  assert.deepEqual(navigate(at(6), { key: 'Home', ctrlOrMeta: true }), { kind: 'move', index: 0 });
  assert.deepEqual(navigate(at(1), { key: 'End', ctrlOrMeta: true }), { kind: 'move', index: 9 });
  assert.deepEqual(navigate(at(1), { key: 'PageDown' }), { kind: 'move', index: 9 });
});

test('Enter opens, Space toggles, Ctrl+A selects all, empty galleries do nothing', () => {
  assert.deepEqual(navigate(at(3), { key: 'Enter' }), { kind: 'open', index: 3 });
  assert.deepEqual(navigate(at(3), { key: ' ' }), { kind: 'toggle', index: 3 });
  assert.deepEqual(navigate(at(3), { key: 'a', ctrlOrMeta: true }), { kind: 'select-all' });
  assert.deepEqual(navigate(at(3), { key: 'a' }), { kind: 'none' });
  assert.deepEqual(navigate({ index: -1, count: 0, columns: 4 }, { key: 'ArrowRight' }), { kind: 'none' });
  assert.deepEqual(navigate({ index: -1, count: 3, columns: 4 }, { key: 'Enter' }), { kind: 'open', index: 0 });
});

test('columnsFor counts tiles that fit with gaps', () => {
  assert.equal(columnsFor(1000, 180, 12), 5);
  assert.equal(columnsFor(948, 180, 12), 5);
  assert.equal(columnsFor(947, 180, 12), 4);
  assert.equal(columnsFor(0, 180, 12), 1);
  assert.equal(columnsFor(100, 180, 12), 1);
});

test('selection: single, toggle, range from the anchor, retain after removal', () => {
  const order = [11, 12, 13, 14, 15];
  let s: Selection = { ids: new Set(), anchor: null };
  s = select(s, { kind: 'single', id: 12 });
  assert.deepEqual([...s.ids], [12]);
  s = select(s, { kind: 'range', id: 14, order });
  assert.deepEqual([...s.ids].sort(), [12, 13, 14]);
  s = select(s, { kind: 'toggle', id: 13 });
  assert.deepEqual([...s.ids].sort(), [12, 14]);
  assert.equal(s.anchor, 13);
  s = select(s, { kind: 'range', id: 11, order });
  assert.deepEqual([...s.ids].sort(), [11, 12, 13]);
  s = select(s, { kind: 'retain', order: [11, 13, 15] });
  assert.deepEqual([...s.ids].sort(), [11, 13]);
  assert.equal(s.anchor, 13);
  s = select(s, { kind: 'all', order });
  assert.equal(s.ids.size, 5);
  s = select(s, { kind: 'clear' });
  assert.equal(s.ids.size, 0);
  assert.equal(s.anchor, null);
});
