import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openLibrary } from '../../src-main/library/db.ts';
import { SCHEMA_VERSION, migrate, migrations } from '../../src-main/library/migrations.ts';
import { latestResult } from '../../src-main/library/photos.ts';

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

test('an empty database migrates to the latest version with WAL', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-db-'));
  try {
    const db = openLibrary(path.join(dir, 'sub', 'library.db'));
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    for (const t of ['photos', 'faces', 'results', 'jobs', 'job_items']) assert.ok(columns(db, t).length > 0, t);
    assert.ok(columns(db, 'job_items').includes('outputs'));
    // Migrating again is a no-op.
    assert.equal(migrate(db), SCHEMA_VERSION);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a version-1 database written by hand keeps its data through the migration', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heirloom-db-'));
  const file = path.join(dir, 'library.db');
  try {
    // The v1 schema as the first release wrote it (spelled out here, not taken from migrations[0]).
    const old = new Database(file);
    old.exec(`
      CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL, hash TEXT NOT NULL, width INTEGER, height INTEGER,
        status TEXT NOT NULL DEFAULT 'new', error TEXT, added_at TEXT NOT NULL);
      CREATE TABLE faces (id INTEGER PRIMARY KEY, photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL, box TEXT NOT NULL, points TEXT NOT NULL, score REAL NOT NULL,
        include INTEGER NOT NULL DEFAULT 1, seed INTEGER NOT NULL, skipped TEXT, UNIQUE (photo_id, idx));
      CREATE TABLE results (id INTEGER PRIMARY KEY, photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        settings TEXT NOT NULL, output_path TEXT, timings TEXT NOT NULL DEFAULT '{}', model_hash TEXT, error TEXT,
        created_at TEXT NOT NULL);
      CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT NOT NULL, settings TEXT NOT NULL, created_at TEXT NOT NULL,
        started_at TEXT, finished_at TEXT);
      CREATE TABLE job_items (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE, position INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0, error TEXT, UNIQUE (job_id, photo_id));
      CREATE INDEX results_photo ON results (photo_id);
      PRAGMA user_version = 1;
    `);
    const settings = '{"steps":4,"mode":"flow","seed":7,"scale":2,"format":"png","quality":92,"pairs":"none","device":"cpu"}';
    old.prepare("INSERT INTO photos VALUES (1, '/photos/a.jpg', 10, 1000, 'abc', 64, 48, 'restored', NULL, '2026-01-01T00:00:00Z')").run();
    old.prepare("INSERT INTO faces VALUES (1, 1, 0, '[1,2,3,4]', '[[1,1],[2,1],[1.5,2],[1,3],[2,3]]', 0.9, 1, 42, NULL)").run();
    old.prepare(`INSERT INTO results VALUES (1, 1, ?, '/out/a.restored.png', '{"restore":12}', 'ff00', NULL, '2026-01-01T00:01:00Z')`).run(settings);
    old.prepare(`INSERT INTO jobs VALUES (1, 'done', ?, '2026-01-01T00:00:00Z', NULL, NULL)`).run(settings);
    old.prepare("INSERT INTO job_items VALUES (1, 1, 1, 0, 'done', 1, NULL)").run();
    old.close();

    const db = openLibrary(file);
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.ok(columns(db, 'jobs').includes('output_folder'));
    const r = latestResult(db, 1);
    assert.ok(r !== null);
    assert.deepEqual(r.outputs, ['/out/a.restored.png'], 'v2 fills outputs from the v1 output_path');
    assert.equal(r.photoHash, 'abc', 'v2 fills the photo hash from the photo row');
    assert.equal(r.settings.seed, 7);
    assert.deepEqual(r.timingsMs, { restore: 12 });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM faces').get() as { n: number }).n, 1);
    assert.equal((db.prepare('SELECT attempts FROM job_items WHERE id = 1').get() as { attempts: number }).attempts, 1);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('v10: faces keep their ids and data, and a deleted face\'s id is never given to a new one', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  // A version-9 library, as the releases before v10 left it.
  for (const step of migrations.slice(0, 9)) db.exec(step);
  db.pragma('user_version = 9');
  db.prepare("INSERT INTO photos (id, path, size, mtime_ms, hash, status, added_at) VALUES (1, '/p/a.jpg', 1, 1, 'h', 'detected', 'now')").run();
  const insert = db.prepare('INSERT INTO faces (photo_id, idx, box, points, score, include, seed, skipped, manual, fidelity) VALUES (1, ?, ?, ?, 0.9, ?, ?, NULL, ?, ?)');
  insert.run(0, '[1,2,3,4]', '[[1,1],[2,1],[1.5,2],[1,3],[2,3]]', 1, 42, 0, null);
  insert.run(1, '[5,6,7,8]', '[[5,5],[6,5],[5.5,6],[5,7],[6,7]]', 0, 43, 1, 0.25);
  const before = db.prepare('SELECT * FROM faces ORDER BY id').all();
  // Before v10 SQLite gives the highest deleted id again.
  db.prepare('DELETE FROM faces WHERE idx = 1').run();
  assert.equal(Number(insert.run(1, '[5,6,7,8]', '[[5,5],[6,5],[5.5,6],[5,7],[6,7]]', 0, 43, 1, 0.25).lastInsertRowid), 2);

  assert.equal(migrate(db), SCHEMA_VERSION);
  assert.deepEqual(db.prepare('SELECT * FROM faces ORDER BY id').all(), before, 'same rows, same ids');
  db.prepare('DELETE FROM faces WHERE id = 2').run();
  assert.equal(Number(insert.run(1, '[9,9,9,9]', '[[9,9],[10,9],[9.5,10],[9,11],[10,11]]', 1, 44, 0, null).lastInsertRowid), 3);
  // The photo's faces still go with it.
  db.prepare('DELETE FROM photos WHERE id = 1').run();
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM faces').get() as { n: number }).n, 0);
  db.close();
});

test('a database from a newer Heirloom is refused, not damaged', () => {
  const db = new Database(':memory:');
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  assert.throws(() => migrate(db), /newer than this Heirloom understands/);
  db.close();
});
