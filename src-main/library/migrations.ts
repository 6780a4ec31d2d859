import type Database from 'better-sqlite3';

/**
 * The library's schema, one SQL step per version. `PRAGMA user_version` holds how many steps a
 * database has applied; `migrate` runs the missing ones, each in its own transaction.
 * Never edit a released step: append a new one.
 */
export const migrations: readonly string[] = [
  // v1: photos, their faces, restore results, batch jobs.
  `
  CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    hash TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    status TEXT NOT NULL DEFAULT 'new',
    error TEXT,
    added_at TEXT NOT NULL
  );
  CREATE TABLE faces (
    id INTEGER PRIMARY KEY,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    box TEXT NOT NULL,
    points TEXT NOT NULL,
    score REAL NOT NULL,
    include INTEGER NOT NULL DEFAULT 1,
    seed INTEGER NOT NULL,
    skipped TEXT,
    UNIQUE (photo_id, idx)
  );
  CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    settings TEXT NOT NULL,
    output_path TEXT,
    timings TEXT NOT NULL DEFAULT '{}',
    model_hash TEXT,
    error TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
  );
  CREATE TABLE job_items (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    UNIQUE (job_id, photo_id)
  );
  CREATE INDEX results_photo ON results (photo_id);
  `,
  // v2: batch outputs. A job writes into one folder (and records why it failed, if it did); an item reserves its output names before
  // writing (so a rerun after a crash reuses them instead of adding " (2)" duplicates); a result
  // remembers the content hash it was made from and all the files it wrote.
  `
  ALTER TABLE jobs ADD COLUMN output_folder TEXT;
  ALTER TABLE jobs ADD COLUMN error TEXT;
  ALTER TABLE job_items ADD COLUMN outputs TEXT;
  ALTER TABLE job_items ADD COLUMN finished_at TEXT;
  ALTER TABLE results ADD COLUMN photo_hash TEXT;
  ALTER TABLE results ADD COLUMN outputs TEXT NOT NULL DEFAULT '[]';
  UPDATE results SET outputs = json_array(output_path) WHERE output_path IS NOT NULL;
  UPDATE results SET photo_hash = (SELECT hash FROM photos WHERE photos.id = results.photo_id);
  CREATE INDEX job_items_job_state ON job_items (job_id, state, position);
  `,
  // v3: faces the user added by hand (kept when the photo is detected again).
  `
  ALTER TABLE faces ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;
  `,
  // v4: a result remembers its result key (settings + face decisions + per-photo inputs, see
  // result-key.ts) so an out-of-date result can be told from a current one; a face may have its
  // own fidelity (null = follow the setting).
  `
  ALTER TABLE results ADD COLUMN result_key TEXT;
  ALTER TABLE faces ADD COLUMN fidelity REAL;
  `,
  // v5: what the user should know about a result (e.g. written at a lower scale than asked, and why).
  `
  ALTER TABLE results ADD COLUMN note TEXT;
  `,
  // v6: a photo the user says is one aligned face ('always'), or is not ('never'); null = the
  // setting decides. looks_aligned: its detected face already sits on the template (offered).
  `
  ALTER TABLE photos ADD COLUMN aligned TEXT;
  ALTER TABLE photos ADD COLUMN looks_aligned INTEGER NOT NULL DEFAULT 0;
  `,
  // v7: how many times a photo's process stopped under it (a crash, a kill for memory): at two
  // the photo is marked failed instead of being retried forever.
  `
  ALTER TABLE job_items ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
  `,
  // v8: what was wrong with a file that could still be read (a JPEG cut short), for the user.
  `
  ALTER TABLE photos ADD COLUMN note TEXT;
  `,
  // v9: the user's damage mask (repair stage): the stored PNG's path, named by its sha256; null =
  // the detector decides.
  `
  ALTER TABLE photos ADD COLUMN damage_mask TEXT;
  `,
  // v10: face ids are never given again (AUTOINCREMENT). Without it SQLite hands a re-detected
  // photo's new faces the ids its old faces had, and anything that remembered a face by id (a
  // comparison on screen, a cached crop) could show the old face for the new one. Nothing
  // references faces, so the table is copied with its ids and replaced.
  `
  CREATE TABLE faces_v10 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    box TEXT NOT NULL,
    points TEXT NOT NULL,
    score REAL NOT NULL,
    include INTEGER NOT NULL DEFAULT 1,
    seed INTEGER NOT NULL,
    skipped TEXT,
    manual INTEGER NOT NULL DEFAULT 0,
    fidelity REAL,
    UNIQUE (photo_id, idx)
  );
  INSERT INTO faces_v10 (id, photo_id, idx, box, points, score, include, seed, skipped, manual, fidelity)
    SELECT id, photo_id, idx, box, points, score, include, seed, skipped, manual, fidelity FROM faces;
  DROP TABLE faces;
  ALTER TABLE faces_v10 RENAME TO faces;
  `,
];

export const SCHEMA_VERSION = migrations.length;

/** Brings a database to the latest schema. Refuses a database written by a newer Heirloom. */
export function migrate(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true });
  if (typeof current !== 'number') throw new Error('cannot read the library database version');
  if (current > migrations.length) {
    throw new Error(
      `the library database is version ${current}, newer than this Heirloom understands (${migrations.length}); update Heirloom`,
    );
  }
  for (let v = current; v < migrations.length; v++) {
    const step = migrations[v];
    db.transaction(() => {
      db.exec(step);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return migrations.length;
}
