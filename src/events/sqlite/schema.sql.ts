/**
 * The log's schema, in its two row formats (row-format.ts). `events` refuses UPDATE and DELETE at the
 * database level, so not even a bug in Chronicle (or a careless operator with the sqlite3 shell and
 * no intent to bypass triggers) can rewrite history; so does the token table the rows decode with.
 * Streams get integer keys: the events table and its indexes stay narrow.
 */
const SHARED = `
CREATE TABLE IF NOT EXISTS streams (
  stream_key INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE IF NOT EXISTS snapshots (
  actor_id        TEXT PRIMARY KEY,
  seq             INTEGER NOT NULL,
  machine_version TEXT NOT NULL,
  state           TEXT NOT NULL,
  checksum        TEXT NOT NULL
) STRICT;
`;

const APPEND_ONLY = (table: string) => `
CREATE TRIGGER IF NOT EXISTS ${table}_are_append_only_update
BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END;

CREATE TRIGGER IF NOT EXISTS ${table}_are_append_only_delete
BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE refused'); END;
`;

/** Format 1: id, payload, meta and hash as text. */
export const CREATE_SCHEMA_V1 = `
${SHARED}
CREATE TABLE IF NOT EXISTS events (
  seq        INTEGER PRIMARY KEY,
  id         TEXT    NOT NULL UNIQUE,
  stream_key INTEGER NOT NULL REFERENCES streams(stream_key),
  version    INTEGER NOT NULL,
  type       TEXT    NOT NULL,
  data       TEXT    NOT NULL,
  meta       TEXT    NOT NULL,
  hash       TEXT    NOT NULL,
  UNIQUE (stream_key, version)
) STRICT;
${APPEND_ONLY('events')}
`;

/**
 * Format 2: a UUID id as 16 bytes (any other id as text, hence ANY), the hash as 32 bytes, payload
 * and meta through the row codec (row-codec.ts) with its token table. Written in one transaction with
 * the format number, so a file is never half one format.
 */
export const CREATE_SCHEMA_V2 = `
BEGIN;
${SHARED}
CREATE TABLE IF NOT EXISTS events (
  seq        INTEGER PRIMARY KEY,
  id         ANY     NOT NULL UNIQUE,
  stream_key INTEGER NOT NULL REFERENCES streams(stream_key),
  version    INTEGER NOT NULL,
  type       TEXT    NOT NULL,
  data       BLOB    NOT NULL,
  meta       BLOB    NOT NULL,
  hash       ANY     NOT NULL,
  UNIQUE (stream_key, version)
) STRICT;
${APPEND_ONLY('events')}
CREATE TABLE IF NOT EXISTS row_tokens (
  token INTEGER PRIMARY KEY,
  text  TEXT NOT NULL UNIQUE
) STRICT;
${APPEND_ONLY('row_tokens')}
PRAGMA user_version = 2;
COMMIT;
`;
