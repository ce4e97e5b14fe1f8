import Database from 'better-sqlite3';

/**
 * One writer per log file. Two processes appending to the same file would each trust their cached
 * head, so the second would either fail on every batch or (had it re-read the head) interleave with
 * the first behind its back. The lock is an exclusive SQLite lock on a tiny side file: the kernel
 * releases it when the holder dies (SIGKILL included), so a crashed writer never blocks its restart,
 * and readers of the log itself (verify, export, a projection rebuild) are never blocked.
 */
export class WriterLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the lock, or returns undefined when another connection holds it. */
  static tryAcquire(logPath: string): WriterLock | undefined {
    const db = new Database(`${logPath}-writer.lock`, { timeout: 0 });
    try {
      db.pragma('journal_mode = DELETE');
      // In exclusive locking mode the lock taken by the first write is kept until the connection closes.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, since INTEGER NOT NULL)');
      db.prepare('INSERT OR REPLACE INTO holder (id, pid, since) VALUES (1, ?, ?)').run(process.pid, Date.now());
      return new WriterLock(db);
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return undefined;
      throw err;
    }
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}
