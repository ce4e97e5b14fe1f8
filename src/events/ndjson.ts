import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ImportRefusedError } from './errors.ts';
import { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store.ts';
import type { StoredRow } from './verify.ts';

/**
 * NDJSON export/import of the whole log: one line per event, in seq order, with `data` and `meta` as
 * the exact encoded strings the hash covers — so an exported file can be re-verified anywhere and an
 * import reproduces the log bit for bit (same seqs, versions, meta and hashes).
 *
 *   {"seq":1,"id":"…","stream":"room-…","version":1,"type":"room.created","data":"{…}","meta":"{…}","hash":"…"}
 */

/** What export needs from a store (SqliteEventStore and PostgresEventStore have it). */
export interface RawLogSource {
  head(): Promise<number>;
  readRaw(afterSeq: number, limit: number): Promise<StoredRow[]>;
}

/** What import needs: verbatim insertion into an empty log, all or nothing. */
export interface RawLogTarget {
  importRaw(rows: AsyncIterable<StoredRow>): Promise<number>;
}

export interface Progress {
  /** Events written so far. */
  events: number;
  /** Seq of the last of them. */
  seq: number;
}

export interface NdjsonOptions {
  onProgress?: (p: Progress) => void;
  /** Rows per page / progress report (default 1000). */
  pageSize?: number;
}

/**
 * Writes every event up to the head at the time of the call (a consistent cut, even while a writer
 * keeps appending), honouring back-pressure. Returns the number of events written. Does not end
 * the writable.
 */
export async function exportLog(store: RawLogSource, out: Writable, options: NdjsonOptions = {}): Promise<number> {
  let count = 0;
  for await (const rows of rawPages(store, options.pageSize)) {
    let chunk = '';
    for (const r of rows) chunk += toLine(r) + '\n';
    if (!out.write(chunk)) await once(out, 'drain');
    count += rows.length;
    options.onProgress?.({ events: count, seq: rows[rows.length - 1].seq });
  }
  return count;
}

/** The stored rows up to the head when called, a page at a time, in seq order. */
export async function* rawPages(store: RawLogSource, pageSize = 1000): AsyncGenerator<StoredRow[]> {
  const head = await store.head();
  let after = 0;
  while (after < head) {
    const rows = (await store.readRaw(after, Math.min(pageSize, head - after))).filter((r) => r.seq <= head);
    if (rows.length === 0) break;
    yield rows;
    after = rows[rows.length - 1].seq;
  }
}

function toLine(r: StoredRow): string {
  // Fixed key order, so two exports of the same log are byte-identical.
  return JSON.stringify({ seq: r.seq, id: r.id, stream: r.stream, version: r.version, type: r.type, data: r.data, meta: r.meta, hash: r.hash });
}

/**
 * Imports an NDJSON export into an EMPTY log (a store, or the options of a SQLite file to create or
 * open). Refuses with ImportRefusedError naming the line and seq — and writes nothing — on bad
 * JSON, a malformed row, a broken hash chain (edited, missing or reordered lines), a duplicate id,
 * or an event an append would refuse: its envelope or its payload, checked against the store's
 * registry after upcasting (import-check.ts). Returns the number of events imported.
 */
export async function importLog(target: RawLogTarget | SqliteEventStoreOptions, input: Readable, options: NdjsonOptions = {}): Promise<number> {
  if (!('importRaw' in target)) {
    const store = new SqliteEventStore(target);
    try {
      return await importLog(store, input, options);
    } finally {
      await store.close();
    }
  }
  const pageSize = options.pageSize ?? 1000;
  let lineNo = 0;
  let count = 0;
  async function* rows(): AsyncGenerator<StoredRow> {
    const lines = createInterface({ input, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        lineNo += 1;
        if (line.trim() === '') continue;
        const row = parseLine(line, lineNo);
        yield row;
        count += 1;
        if (options.onProgress && count % pageSize === 0) options.onProgress({ events: count, seq: row.seq });
      }
    } finally {
      lines.close();
    }
  }
  try {
    const imported = await target.importRaw(rows());
    options.onProgress?.({ events: imported, seq: imported });
    return imported;
  } catch (err) {
    if (err instanceof ImportRefusedError && err.line === undefined && err.reason !== 'not_empty') {
      throw new ImportRefusedError(err.reason, `line ${lineNo}: ${err.message}`, lineNo, err.seq, { eventType: err.eventType, field: err.field });
    }
    throw err;
  }
}

function parseLine(line: string, lineNo: number): StoredRow {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new ImportRefusedError('bad_json', `line ${lineNo}: not JSON (${(err as Error).message})`, lineNo);
  }
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) problems.push('not an object');
  else {
    for (const k of ['seq', 'version'] as const) if (!Number.isSafeInteger(v[k]) || (v[k] as number) < 1) problems.push(`${k} must be an integer >= 1`);
    for (const k of ['id', 'stream', 'type', 'data', 'meta', 'hash'] as const)
      if (typeof v[k] !== 'string' || v[k] === '') problems.push(`${k} must be a non-empty string`);
  }
  if (problems.length > 0) {
    const seq = Number.isSafeInteger(v?.seq) ? (v.seq as number) : undefined;
    throw new ImportRefusedError('bad_row', `line ${lineNo}: ${problems.join('; ')}`, lineNo, seq);
  }
  return { seq: v.seq, id: v.id, stream: v.stream, version: v.version, type: v.type, data: v.data, meta: v.meta, hash: v.hash } as StoredRow;
}
