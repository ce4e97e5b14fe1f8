import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';

/**
 * Opens the read database (a file separate from the log: it can be deleted and rebuilt at any time)
 * with sqlite-vec loaded. WAL + synchronous=NORMAL: a crash may lose the last batches, which is fine —
 * their checkpoint is lost with them, so they are simply applied again on restart.
 */
export function openReadDb(path: string | Buffer): Database.Database {
  // A Buffer is a serialized database (db.serialize()) opened in memory: an as-of fold's checkpoint.
  const db = new Database(path);
  sqliteVec.load(db);
  if (typeof path === 'string' && path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -65536');
  return db;
}
