import type Database from 'better-sqlite3';
import type { AnyRecordedEvent, EventMeta } from '../envelope.ts';
import { decodeData } from '../codec.ts';
import type { ReadAllOptions, ReadStreamOptions, VerifyReport } from '../store.ts';
import { verifyRows, type StoredRow } from '../verify.ts';
import { streamState, type LogConnection } from './connection.ts';
import { UndecodableRowError } from './row-codec.ts';
import { toStoredRow } from './row-format.ts';
import { readAllForVerify, readFiltered, type RawRow } from './statements.ts';

export function readStream(conn: LogConnection, stream: string, options: ReadStreamOptions): AnyRecordedEvent[] {
  const state = streamState(conn, stream);
  if (!state) return [];
  const rows = conn.stmt.readStream.all(state.key, options.fromVersion ?? 1, options.limit ?? -1) as RawRow[];
  return rows.map((r) => decodeRaw(conn, r));
}

export function readAll(conn: LogConnection, options: ReadAllOptions): AnyRecordedEvent[] {
  const afterSeq = options.afterSeq ?? 0;
  const limit = options.limit ?? 1000;
  if (options.stream === undefined && options.types === undefined) {
    return (conn.stmt.readAll.all(afterSeq, limit) as RawRow[]).map((r) => decodeRaw(conn, r));
  }
  if (options.types && options.types.length === 0) return [];
  const params: unknown[] = [afterSeq];
  if (options.stream !== undefined) {
    const state = streamState(conn, options.stream);
    if (!state) return [];
    params.push(state.key);
  }
  if (options.types) params.push(...options.types);
  params.push(limit);
  const stmt = filteredRead(conn, options.stream !== undefined, options.types?.length ?? 0);
  return (stmt.all(...params) as RawRow[]).map((r) => decodeRaw(conn, r));
}

function filteredRead(conn: LogConnection, byStream: boolean, typeCount: number): Database.Statement {
  const shape = `${byStream}:${typeCount}`;
  let stmt = conn.filteredReads.get(shape);
  if (!stmt) {
    stmt = conn.db.prepare(readFiltered(conn.rows.version, byStream, typeCount)).raw();
    conn.filteredReads.set(shape, stmt);
  }
  return stmt;
}

export function getById(conn: LogConnection, id: string): AnyRecordedEvent | undefined {
  const row = conn.stmt.eventById.get(conn.rows.encodeId(id)) as Record<keyof StoredRow, unknown> | undefined;
  return row ? decodeRow(conn, toStoredRow(conn.rows, row)) : undefined;
}

/** Rows as their text (what the chain hashes), in seq order: what export writes. */
export function readRaw(conn: LogConnection, afterSeq: number, limit: number): StoredRow[] {
  return (conn.stmt.readRaw.all(afterSeq, limit) as Record<keyof StoredRow, unknown>[]).map((row) => toStoredRow(conn.rows, row));
}

/** The chain walk; a row that cannot be decoded (format 2) is reported as such, not thrown. */
export function verify(conn: LogConnection): VerifyReport {
  const stored = conn.db.prepare(readAllForVerify(conn.rows.version)).iterate() as IterableIterator<Record<keyof StoredRow, unknown>>;
  let undecodable: VerifyReport['problem'];
  function* decoded(): Generator<StoredRow> {
    for (const row of stored) {
      try {
        yield toStoredRow(conn.rows, row);
      } catch (error) {
        if (!(error instanceof UndecodableRowError)) throw error;
        undecodable = { seq: row.seq as number, kind: 'undecodable', detail: `event at seq ${row.seq}: ${error.message}` };
        return;
      }
    }
  }
  const report = verifyRows(decoded());
  return undecodable && report.ok ? { ok: false, checked: report.checked, problem: undecodable } : report;
}

function decodeRaw(conn: LogConnection, r: RawRow): AnyRecordedEvent {
  const { rows } = conn;
  const meta = JSON.parse(rows.metaOf(r[5], r[6])) as EventMeta;
  const data = conn.registry.upcast(r[4], meta.schemaVersion ?? 1, decodeData(rows.dataOf(r[5], r[6])));
  return { seq: r[0], id: rows.id(r[1]), stream: streamName(conn, r[2]), version: r[3], type: r[4], data, meta, hash: rows.hash(r[7]) } as AnyRecordedEvent;
}

function streamName(conn: LogConnection, key: number): string {
  let name = conn.streamNames.get(key);
  if (name === undefined) {
    name = conn.stmt.streamName.get(key) as string;
    conn.streamNames.set(key, name);
  }
  return name;
}

function decodeRow(conn: LogConnection, row: StoredRow): AnyRecordedEvent {
  const meta = JSON.parse(row.meta) as EventMeta;
  const data = conn.registry.upcast(row.type, meta.schemaVersion ?? 1, decodeData(row.data));
  return { seq: row.seq, id: row.id, stream: row.stream, version: row.version, type: row.type, data, meta, hash: row.hash } as AnyRecordedEvent;
}
