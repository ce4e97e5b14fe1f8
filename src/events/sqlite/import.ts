import { ImportRefusedError, StoreClosedError } from '../errors.ts';
import { ImportRowChecker } from '../import-check.ts';
import type { StoredRow } from '../verify.ts';
import type { LogConnection } from './connection.ts';

/**
 * Writes rows verbatim (seq, version, meta and hash preserved) into an EMPTY log, in one
 * transaction, checking each row as it arrives (../import-check.ts). Any problem — the log is not
 * empty, a row the checker refuses — throws ImportRefusedError and nothing is written. The append-only
 * triggers stay in place: import only ever inserts. The caller holds the writer's role and keeps
 * appends waiting meanwhile (`hasPendingAppends` counts them as making the log not empty).
 */
export async function importRows(
  conn: LogConnection,
  rows: Iterable<StoredRow> | AsyncIterable<StoredRow>,
  state: { isClosed(): boolean; hasPendingAppends(): boolean },
): Promise<{ checked: number; last: StoredRow | undefined }> {
  const checker = new ImportRowChecker(conn.registry);
  const keys = new Map<string, number>();
  let last: StoredRow | undefined;
  try {
    conn.db.exec('BEGIN IMMEDIATE');
    if ((conn.stmt.count.get() as number) > 0 || state.hasPendingAppends()) {
      throw new ImportRefusedError('not_empty', `the event log ${conn.path} is not empty: import only into an empty log`);
    }
    for await (const row of rows) {
      if (state.isClosed()) throw new StoreClosedError();
      checker.check(row);
      let key = keys.get(row.stream);
      if (key === undefined) {
        key = Number(conn.stmt.insertStream.run(row.stream).lastInsertRowid);
        keys.set(row.stream, key);
      }
      const { rows: format } = conn;
      conn.stmt.insertEvent.run(
        row.seq,
        format.encodeId(row.id),
        key,
        row.version,
        row.type,
        format.encodeText(row.data),
        format.encodeText(row.meta),
        format.encodeHash(row.hash),
      );
      last = row;
    }
    conn.db.exec('COMMIT');
  } catch (error) {
    if (conn.db.open && conn.db.inTransaction) conn.db.exec('ROLLBACK');
    conn.streamNames.clear(); // a read during the import may have cached a stream key now rolled back
    throw error;
  }
  return { checked: checker.checked, last };
}
