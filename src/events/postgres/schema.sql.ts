import { GENESIS_HASH } from '../hash.ts';

/** Schema names are interpolated into SQL, so only plain identifiers are accepted. */
export const VALID_SCHEMA = /^[a-z_][a-z0-9_]{0,39}$/;

/** The NOTIFY channel of a schema's log: one per log, so two logs in one database never wake each other. */
export const channelOf = (schema: string) => `chronicle_log_${schema}`;

/**
 * The log's tables in their own schema. `events` refuses UPDATE, DELETE and TRUNCATE in the
 * database itself, so no bug in Chronicle and no careless `psql` session can rewrite history.
 * `log_head` is a single row holding the last seq and hash: every append locks it (see
 * postgres-event-store.ts for why that makes the log gap-free). data and meta are TEXT, not JSONB:
 * the hash covers their exact bytes, and JSONB would reorder keys.
 */
export function createSchema(schema: string): string {
  const s = `"${schema}"`;
  return `
CREATE SCHEMA IF NOT EXISTS ${s};

CREATE TABLE IF NOT EXISTS ${s}.log_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq       bigint  NOT NULL,
  hash      text    NOT NULL
);
INSERT INTO ${s}.log_head (singleton, seq, hash) VALUES (true, 0, '${GENESIS_HASH}') ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS ${s}.events (
  seq     bigint  PRIMARY KEY,
  id      text    NOT NULL UNIQUE,
  stream  text    NOT NULL,
  version integer NOT NULL,
  type    text    NOT NULL,
  data    text    NOT NULL,
  meta    text    NOT NULL,
  hash    text    NOT NULL,
  UNIQUE (stream, version)
);

CREATE OR REPLACE FUNCTION ${s}.refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the event log is append-only: % refused', TG_OP;
END $$;

CREATE OR REPLACE TRIGGER events_are_append_only
BEFORE UPDATE OR DELETE ON ${s}.events FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_rewrite();
CREATE OR REPLACE TRIGGER events_are_never_truncated
BEFORE TRUNCATE ON ${s}.events FOR EACH STATEMENT EXECUTE FUNCTION ${s}.refuse_rewrite();
CREATE OR REPLACE TRIGGER head_is_never_removed
BEFORE DELETE OR TRUNCATE ON ${s}.log_head FOR EACH STATEMENT EXECUTE FUNCTION ${s}.refuse_rewrite();

CREATE TABLE IF NOT EXISTS ${s}.snapshots (
  actor_id        text   PRIMARY KEY,
  seq             bigint NOT NULL,
  machine_version text   NOT NULL,
  state           text   NOT NULL,
  checksum        text   NOT NULL
);
`;
}
