import type Database from 'better-sqlite3';
import { existingRowFormat, toStoredRow, type RowFormat } from '../../../src/events/sqlite/row-format.ts';
import { selectEventColumns } from '../../../src/events/sqlite/statements.ts';
import type { StoredRow } from '../../../src/events/verify.ts';

/**
 * For tests that read or rewrite a log's rows with SQL on purpose (tampering, inspection): the file's
 * own row format (src/events/sqlite/row-format.ts), so a test writes a text as the file stores it and
 * reads a stored value back as text, whichever format the file has.
 */
export function rowFormatOf(db: Database.Database): RowFormat {
  return existingRowFormat(db);
}

/** A row's payload or meta as text. */
export function storedText(db: Database.Database, seq: number, column: 'data' | 'meta'): string {
  return rowFormatOf(db).text(db.prepare(`SELECT ${column} FROM events WHERE seq = ?`).pluck().get(seq));
}

/** Rewrites a row's payload or meta as the file stores text (the append-only triggers must be gone). */
export function rewriteText(db: Database.Database, seq: number, column: 'data' | 'meta', edit: (text: string) => string): void {
  const format = rowFormatOf(db);
  const text = format.text(db.prepare(`SELECT ${column} FROM events WHERE seq = ?`).pluck().get(seq));
  db.prepare(`UPDATE events SET ${column} = ? WHERE seq = ?`).run(format.encodeText(edit(text)), seq);
}

/** Every row as text (StoredRow: what export writes), in seq order. */
export function storedRows(db: Database.Database): StoredRow[] {
  const format = rowFormatOf(db);
  const rows = db.prepare(`SELECT ${selectEventColumns(format.version)} FROM events e JOIN streams s USING (stream_key) ORDER BY e.seq`).all() as Record<
    keyof StoredRow,
    unknown
  >[];
  return rows.map((r) => toStoredRow(format, r));
}
