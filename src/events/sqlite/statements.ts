import type Database from 'better-sqlite3';

/**
 * Every SQL statement of the log, named after the operation it serves. The hot read paths skip the
 * join with `streams`: stream names come from an in-memory cache (names never change).
 */

/** The columns of an event row with its stream's name (the joined, export-shaped row). */
export const SELECT_EVENT_COLUMNS = `e.seq, e.id, s.name AS stream, e.version, e.type, e.data, e.meta, e.hash`;
const FROM_EVENTS_WITH_NAMES = 'FROM events e JOIN streams s USING (stream_key)';
/** The columns of an event row with its stream's key (names resolved from the cache). */
export const RAW_COLUMNS = 'seq, id, stream_key, version, type, data, meta, hash';
/** id, data, meta and hash are in the file's row format (row-format.ts). */
export type RawRow = [seq: number, id: unknown, streamKey: number, version: number, type: string, data: unknown, meta: unknown, hash: unknown];

// ── append ─────────────────────────────────────────────────────────────────────────────────────
export const STREAM_BY_NAME = 'SELECT stream_key AS key FROM streams WHERE name = ?';
export const INSERT_STREAM = 'INSERT INTO streams (name) VALUES (?)';
export const STREAM_VERSION = 'SELECT coalesce(max(version), 0) AS v FROM events WHERE stream_key = ?';
export const INSERT_EVENT = 'INSERT INTO events (seq, id, stream_key, version, type, data, meta, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
export const INSERT_EVENT_IF_NEW = `${INSERT_EVENT} ON CONFLICT (id) DO NOTHING`;
export const SEQ_BY_ID = 'SELECT seq FROM events WHERE id = ?';
export const HEAD = 'SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1';
export const SAVEPOINT = 'SAVEPOINT append_one';
export const RELEASE_SAVEPOINT = 'RELEASE append_one';
export const ROLLBACK_TO_SAVEPOINT = 'ROLLBACK TO append_one';

// ── read ───────────────────────────────────────────────────────────────────────────────────────
export const READ_ALL = `SELECT ${RAW_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`;
export const READ_STREAM = `SELECT ${RAW_COLUMNS} FROM events WHERE stream_key = ? AND version >= ? ORDER BY version LIMIT ?`;
export const STREAM_NAME = 'SELECT name FROM streams WHERE stream_key = ?';
export const EVENT_BY_ID = `SELECT ${SELECT_EVENT_COLUMNS} ${FROM_EVENTS_WITH_NAMES} WHERE e.id = ?`;
/** A filtered page of the log: by stream, by a number of types, or both. */
export function readFiltered(byStream: boolean, typeCount: number): string {
  const where = ['seq > ?'];
  if (byStream) where.push('stream_key = ?');
  if (typeCount > 0) where.push(`type IN (${new Array(typeCount).fill('?').join(',')})`);
  return `SELECT ${RAW_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`;
}

// ── export, verify and import ──────────────────────────────────────────────────────────────────
export const READ_RAW = `SELECT ${SELECT_EVENT_COLUMNS} ${FROM_EVENTS_WITH_NAMES} WHERE e.seq > ? ORDER BY e.seq LIMIT ?`;
export const READ_ALL_FOR_VERIFY = `SELECT ${SELECT_EVENT_COLUMNS} ${FROM_EVENTS_WITH_NAMES} ORDER BY e.seq`;
export const COUNT_EVENTS = 'SELECT count(*) FROM events';

// ── open ───────────────────────────────────────────────────────────────────────────────────────
export const LOG_TABLES = `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('events', 'streams', 'snapshots')`;

export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database.Database) {
  return {
    streamByName: db.prepare(STREAM_BY_NAME),
    insertStream: db.prepare(INSERT_STREAM),
    streamVersion: db.prepare(STREAM_VERSION),
    insertEvent: db.prepare(INSERT_EVENT),
    eventById: db.prepare(EVENT_BY_ID),
    insertEventIfNew: db.prepare(INSERT_EVENT_IF_NEW),
    seqById: db.prepare(SEQ_BY_ID).pluck(),
    readAll: db.prepare(READ_ALL).raw(),
    streamName: db.prepare(STREAM_NAME).pluck(),
    readRaw: db.prepare(READ_RAW).raw(),
    readStream: db.prepare(READ_STREAM).raw(),
    head: db.prepare(HEAD),
    count: db.prepare(COUNT_EVENTS).pluck(),
    savepoint: db.prepare(SAVEPOINT),
    release: db.prepare(RELEASE_SAVEPOINT),
    rollbackTo: db.prepare(ROLLBACK_TO_SAVEPOINT),
  };
}
