import type Database from 'better-sqlite3';
import type { StoredRow } from '../verify.ts';
import { decodeHash, decodeId, decodeText, encodeHash, encodeId, encodeText } from './row-codec.ts';
import { RowTokens } from './row-tokens.ts';
import { CREATE_SCHEMA_V1, CREATE_SCHEMA_V2 } from './schema.sql.ts';

/**
 * How a log file stores a row's id, payload, meta and hash. Format 1 (files created before format 2)
 * keeps them as text; format 2 stores ids and hashes as bytes and payload and meta through the
 * row codec (row-codec.ts). Both give back exactly the text that was hashed, so everything above the
 * statements sees the same rows. A file keeps the format it was created with (`PRAGMA user_version`);
 * `chronicle export` then `import` into a new data directory converts one.
 */
export interface RowFormat {
  readonly version: 1 | 2;
  text(value: unknown): string;
  encodeText(text: string): string | Buffer;
  id(value: unknown): string;
  encodeId(id: string): string | Buffer;
  hash(value: unknown): string;
  encodeHash(hash: string): string | Buffer;
  /** Payload and meta text from the two columns a hot read selects (statements.ts rawColumns). */
  dataOf(first: unknown, second: unknown): string;
  metaOf(first: unknown, second: unknown): string;
  /** After a rollback: forget what the rolled-back transaction added (format 2's new tokens). */
  afterRollback(): void;
}

export type LogFormatVersion = RowFormat['version'];
export const NEWEST_FORMAT: LogFormatVersion = 2;

const TEXT_ROWS: RowFormat = {
  version: 1,
  text: (value) => value as string,
  encodeText: (text) => text,
  id: (value) => value as string,
  encodeId: (id) => id,
  hash: (value) => value as string,
  encodeHash: (hash) => hash,
  dataOf: (data) => data as string,
  metaOf: (_data, meta) => meta as string,
  afterRollback: () => {},
};

function codedRows(tokens: RowTokens): RowFormat {
  return {
    version: 2,
    text: (value) => decodeText(value as Uint8Array, tokens),
    encodeText: (text) => encodeText(text, tokens),
    id: (value) => decodeId(value as string | Uint8Array),
    encodeId,
    hash: (value) => decodeHash(value as string | Uint8Array),
    encodeHash,
    dataOf: (body, split) => decodeText(body as Buffer, tokens, 0, split as number),
    metaOf: (body, split) => decodeText(body as Buffer, tokens, split as number),
    afterRollback: () => tokens.reload(),
  };
}

const EVENTS_TABLE = `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'`;

/**
 * The format of an existing log, or — for a new, writable one — creates the schema of `forNew`
 * (default: the newest). A writable file gets its schema re-applied (IF NOT EXISTS: a dropped trigger
 * comes back); a read-only connection only detects.
 */
export function openRowFormat(db: Database.Database, writable: boolean, forNew: LogFormatVersion = NEWEST_FORMAT): RowFormat {
  const version = formatVersion(db) ?? forNew;
  if (writable) db.exec(version === 2 ? CREATE_SCHEMA_V2 : CREATE_SCHEMA_V1);
  return rowFormat(db, version, writable);
}

/** An existing log's format without touching its schema (tools and tests that edit rows on purpose). */
export function existingRowFormat(db: Database.Database): RowFormat {
  const version = formatVersion(db);
  if (version === undefined) throw new Error('not a Chronicle event log: no events table');
  return rowFormat(db, version, !db.readonly);
}

function formatVersion(db: Database.Database): LogFormatVersion | undefined {
  if (db.prepare(EVENTS_TABLE).get() === undefined) return undefined;
  return db.pragma('user_version', { simple: true }) === 2 ? 2 : 1;
}

function rowFormat(db: Database.Database, version: LogFormatVersion, writable: boolean): RowFormat {
  return version === 2 ? codedRows(new RowTokens(db, writable)) : TEXT_ROWS;
}

/** A row as its columns were selected (statements.ts selectEventColumns) → the row as text, as export writes it. */
export function toStoredRow(format: RowFormat, row: Record<keyof StoredRow, unknown>): StoredRow {
  return {
    seq: row.seq as number,
    id: format.id(row.id),
    stream: row.stream as string,
    version: row.version as number,
    type: row.type as string,
    data: format.text(row.data),
    meta: format.text(row.meta),
    hash: format.hash(row.hash),
  };
}
