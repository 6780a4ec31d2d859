import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

export type LibraryDb = Database.Database;

/**
 * Opens (creating if needed) a library database and brings it to the latest schema.
 * WAL lets readers (the app's gallery) work while the batch writes; synchronous=FULL makes each
 * committed photo survive a power cut, at a cost of a few fsyncs per photo (see bench/batch.ts).
 */
export function openLibrary(file: string): LibraryDb {
  if (file !== ':memory:') {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
    } catch (err) {
      throw new Error(`cannot create the folder for the library database ${path.dirname(file)}: ${describe(err)}`, { cause: err });
    }
  }
  let db: LibraryDb;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
  } catch (err) {
    throw new Error(`cannot open the library database ${file}: ${describe(err)}`, { cause: err });
  }
  try {
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** ISO timestamp used for every *_at column. */
export function nowIso(): string {
  return new Date().toISOString();
}
