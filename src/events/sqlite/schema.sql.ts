/**
 * The log's schema. `events` refuses UPDATE and DELETE at the database level, so not even a bug in
 * Chronicle (or a careless operator with the sqlite3 shell and no intent to bypass triggers) can
 * rewrite history. Streams get integer keys: the events table and its indexes stay narrow.
 */
export const CREATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (
  stream_key INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE
) STRICT;

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

CREATE TRIGGER IF NOT EXISTS events_are_append_only_update
BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END;

CREATE TRIGGER IF NOT EXISTS events_are_append_only_delete
BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE refused'); END;

CREATE TABLE IF NOT EXISTS snapshots (
  actor_id        TEXT PRIMARY KEY,
  seq             INTEGER NOT NULL,
  machine_version TEXT NOT NULL,
  state           TEXT NOT NULL,
  checksum        TEXT NOT NULL
) STRICT;
`;
