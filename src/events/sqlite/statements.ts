import type Database from 'better-sqlite3';
import type { LogFormatVersion } from './row-format.ts';

/**
 * Every SQL statement of the log, named after the operation it serves. The hot read paths skip the
 * join with `streams`: stream names come from an in-memory cache (names never change).
 */

const FROM_EVENTS_WITH_NAMES = 'FROM events e JOIN streams s USING (stream_key)';

/**
 * How a read selects the id and the hash. Format 2 stores them as bytes; SQLite turns them back into
 * their text here, because each BLOB column costs a Node Buffer per row (measured: ~1 µs each, more
 * than decoding the row) while hex() makes a string in C.
 */
function idAndHash(format: LogFormatVersion, prefix: string): { id: string; hash: string } {
  if (format === 1) return { id: `${prefix}id`, hash: `${prefix}hash` };
  return {
    // A UUID's 32 hex digits (row-codec.ts decodeId puts the dashes back); any other id behind a '~'.
    id: `CASE WHEN typeof(${prefix}id) = 'blob' THEN lower(hex(${prefix}id)) ELSE '~' || ${prefix}id END`,
    hash: `CASE WHEN typeof(${prefix}hash) = 'blob' THEN lower(hex(${prefix}hash)) ELSE ${prefix}hash END`,
  };
}

/** The columns of an event row with its stream's name (the joined, export-shaped row). */
export function selectEventColumns(format: LogFormatVersion): string {
  const { id, hash } = idAndHash(format, 'e.');
  return `e.seq, ${id} AS id, s.name AS stream, e.version, e.type, e.data, e.meta, ${hash} AS hash`;
}

/**
 * The columns of an event row with its stream's key (names resolved from the cache): the hot read
 * paths. Format 2 hands payload and meta over as one BLOB and the payload's length (one Buffer per
 * row instead of two; RowFormat.dataOf/metaOf split it).
 */
function rawColumns(format: LogFormatVersion): string {
  const { id, hash } = idAndHash(format, '');
  const payloadAndMeta = format === 1 ? 'data, meta' : 'CAST(data || meta AS BLOB), length(data)';
  return `seq, ${id}, stream_key, version, type, ${payloadAndMeta}, ${hash}`;
}
/** data and meta as rawColumns() selects them for the file's row format (row-format.ts). */
export type RawRow = [seq: number, id: unknown, streamKey: number, version: number, type: string, data: unknown, meta: unknown, hash: unknown];

// ── append ─────────────────────────────────────────────────────────────────────────────────────
export const STREAM_BY_NAME = 'SELECT stream_key AS key FROM streams WHERE name = ?';
export const INSERT_STREAM = 'INSERT INTO streams (name) VALUES (?)';
export const STREAM_VERSION = 'SELECT coalesce(max(version), 0) AS v FROM events WHERE stream_key = ?';
export const INSERT_EVENT = 'INSERT INTO events (seq, id, stream_key, version, type, data, meta, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
export const INSERT_EVENT_IF_NEW = `${INSERT_EVENT} ON CONFLICT (id) DO NOTHING`;
export const SEQ_BY_ID = 'SELECT seq FROM events WHERE id = ?';
const head = (format: LogFormatVersion) => `SELECT seq, ${idAndHash(format, '').hash} AS hash FROM events ORDER BY seq DESC LIMIT 1`;
export const SAVEPOINT = 'SAVEPOINT append_one';
export const RELEASE_SAVEPOINT = 'RELEASE append_one';
export const ROLLBACK_TO_SAVEPOINT = 'ROLLBACK TO append_one';

// ── read ───────────────────────────────────────────────────────────────────────────────────────
const readAll = (format: LogFormatVersion) => `SELECT ${rawColumns(format)} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`;
const readStream = (format: LogFormatVersion) => `SELECT ${rawColumns(format)} FROM events WHERE stream_key = ? AND version >= ? ORDER BY version LIMIT ?`;
export const STREAM_NAME = 'SELECT name FROM streams WHERE stream_key = ?';
const eventById = (format: LogFormatVersion) => `SELECT ${selectEventColumns(format)} ${FROM_EVENTS_WITH_NAMES} WHERE e.id = ?`;
/** A filtered page of the log: by stream, by a number of types, or both. */
export function readFiltered(format: LogFormatVersion, byStream: boolean, typeCount: number): string {
  const where = ['seq > ?'];
  if (byStream) where.push('stream_key = ?');
  if (typeCount > 0) where.push(`type IN (${new Array(typeCount).fill('?').join(',')})`);
  return `SELECT ${rawColumns(format)} FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`;
}

// ── export, verify and import ──────────────────────────────────────────────────────────────────
const readRaw = (format: LogFormatVersion) => `SELECT ${selectEventColumns(format)} ${FROM_EVENTS_WITH_NAMES} WHERE e.seq > ? ORDER BY e.seq LIMIT ?`;
export const readAllForVerify = (format: LogFormatVersion) => `SELECT ${selectEventColumns(format)} ${FROM_EVENTS_WITH_NAMES} ORDER BY e.seq`;
export const COUNT_EVENTS = 'SELECT count(*) FROM events';

// ── open ───────────────────────────────────────────────────────────────────────────────────────
export const LOG_TABLES = `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('events', 'streams', 'snapshots')`;

export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database.Database, format: LogFormatVersion) {
  return {
    streamByName: db.prepare(STREAM_BY_NAME),
    insertStream: db.prepare(INSERT_STREAM),
    streamVersion: db.prepare(STREAM_VERSION),
    insertEvent: db.prepare(INSERT_EVENT),
    eventById: db.prepare(eventById(format)),
    insertEventIfNew: db.prepare(INSERT_EVENT_IF_NEW),
    seqById: db.prepare(SEQ_BY_ID).pluck(),
    readAll: db.prepare(readAll(format)).raw(),
    streamName: db.prepare(STREAM_NAME).pluck(),
    readRaw: db.prepare(readRaw(format)),
    readStream: db.prepare(readStream(format)).raw(),
    head: db.prepare(head(format)),
    count: db.prepare(COUNT_EVENTS).pluck(),
    savepoint: db.prepare(SAVEPOINT),
    release: db.prepare(RELEASE_SAVEPOINT),
    rollbackTo: db.prepare(ROLLBACK_TO_SAVEPOINT),
  };
}
