import type Database from 'better-sqlite3';
import type { AnyRecordedEvent, AppendResult, NewEvent } from '../envelope.ts';
import { WrongExpectedVersionError } from '../errors.ts';
import { chainHash } from '../hash.ts';
import { checkExpected, expectationHolds, prepareEvents as prepareWith, type PreparedEvent } from '../append-rules.ts';
import type { PendingAppend } from '../group-commit-queue.ts';
import { streamState, type LogConnection, type StreamState } from './connection.ts';

export type { PendingAppend, PreparedEvent };

export interface Written {
  result: AppendResult;
  recorded: AnyRecordedEvent[];
}

/** Checks synchronously so a bad append is refused before it can join a group commit (src/events/append-rules.ts). */
export function prepareEvents(conn: LogConnection, stream: string, events: readonly NewEvent[], trusted: boolean): PreparedEvent[] {
  return prepareWith(conn.registry, conn.now, stream, events, trusted);
}

/** Writes one caller's append inside the open transaction; throws before writing on a version conflict. */
export function writeAppend(conn: LogConnection, request: PendingAppend): Written {
  const stream = streamState(conn, request.stream);
  if (stream && stream.version > 0) return writeToExistingStream(conn, request, stream);
  const current = stream?.version ?? 0;
  const inLog = new Map<string, number>();
  const fresh: PreparedEvent[] = [];
  const firstOccurrence = new Set<string>();
  for (const e of request.events) {
    if (inLog.has(e.id) || firstOccurrence.has(e.id)) continue;
    const existing = conn.stmt.seqById.get(conn.rows.encodeId(e.id)) as number | undefined;
    if (existing !== undefined) inLog.set(e.id, existing);
    else {
      fresh.push(e);
      firstOccurrence.add(e.id);
    }
  }

  const assigned = new Map<string, number>();
  const recorded: AnyRecordedEvent[] = [];
  let version = current;
  // A pure retry skips the version check: the original append already passed it.
  if (fresh.length > 0) {
    checkExpected(request.stream, request.expected, current, current > 0);
    const key = stream?.key ?? Number(conn.stmt.insertStream.run(request.stream).lastInsertRowid);
    for (const e of fresh) {
      const seq = conn.headSeq + 1;
      version += 1;
      const metaJson = JSON.stringify(e.meta);
      const hash = chainHash(conn.headHash, {
        seq,
        id: e.id,
        stream: request.stream,
        version,
        type: e.type,
        dataJson: e.dataJson,
        metaJson,
      });
      insertRow(conn, conn.stmt.insertEvent, [seq, e.id, key, version, e.type, e.dataJson, metaJson, hash]);
      conn.headSeq = seq;
      conn.headHash = hash;
      assigned.set(e.id, seq);
      recorded.push({ seq, id: e.id, stream: request.stream, version, type: e.type, data: e.data, meta: e.meta, hash } as AnyRecordedEvent);
    }
    conn.streams.set(request.stream, { key, version });
  }

  const positions = request.events.map((e) => {
    const original = inLog.get(e.id);
    if (original !== undefined) return { id: e.id, seq: original, duplicate: true };
    const isFirst = firstOccurrence.delete(e.id);
    return { id: e.id, seq: assigned.get(e.id)!, duplicate: !isFirst };
  });
  let lastSeq = 0;
  for (const p of positions) if (p.seq > lastSeq) lastSeq = p.seq;
  return { result: { lastSeq, version, positions }, recorded };
}

/**
 * The common case, an append to a stream that exists: each event is inserted with ON CONFLICT(id)
 * DO NOTHING, so the unique index answers "already in the log?" as part of the insert instead of a
 * separate lookup per event (measured: ~20% of group-commit time). Same outcomes as writeAppend().
 */
function writeToExistingStream(conn: LogConnection, request: PendingAppend, stream: StreamState): Written {
  const current = stream.version;
  if (!expectationHolds(request.expected, current, true)) {
    // A pure retry skips the version check: the original append already passed it.
    const originals = request.events.map((e) => conn.stmt.seqById.get(conn.rows.encodeId(e.id)) as number | undefined);
    if (originals.some((seq) => seq === undefined)) throw new WrongExpectedVersionError(request.stream, request.expected, current);
    const positions = request.events.map((e, i) => ({ id: e.id, seq: originals[i]!, duplicate: true }));
    return { result: { lastSeq: Math.max(...(originals as number[])), version: current, positions }, recorded: [] };
  }
  const recorded: AnyRecordedEvent[] = [];
  const positions: AppendResult['positions'] = [];
  let version = current;
  let lastSeq = 0;
  for (const e of request.events) {
    const seq = conn.headSeq + 1;
    const metaJson = JSON.stringify(e.meta);
    const hash = chainHash(conn.headHash, {
      seq,
      id: e.id,
      stream: request.stream,
      version: version + 1,
      type: e.type,
      dataJson: e.dataJson,
      metaJson,
    });
    if (insertRow(conn, conn.stmt.insertEventIfNew, [seq, e.id, stream.key, version + 1, e.type, e.dataJson, metaJson, hash]) === 0) {
      const original = conn.stmt.seqById.get(conn.rows.encodeId(e.id)) as number;
      positions.push({ id: e.id, seq: original, duplicate: true });
      if (original > lastSeq) lastSeq = original;
      continue;
    }
    version += 1;
    conn.headSeq = seq;
    conn.headHash = hash;
    lastSeq = seq;
    positions.push({ id: e.id, seq, duplicate: false });
    recorded.push({ seq, id: e.id, stream: request.stream, version, type: e.type, data: e.data, meta: e.meta, hash } as AnyRecordedEvent);
  }
  if (recorded.length > 0) conn.streams.set(request.stream, { key: stream.key, version });
  return { result: { lastSeq, version, positions }, recorded };
}

/** Inserts one row in the file's row format; the number of rows written (0: the id was already there). */
function insertRow(
  conn: LogConnection,
  statement: Database.Statement,
  [seq, id, streamKey, version, type, dataJson, metaJson, hash]: [number, string, number, number, string, string, string, string],
): number {
  const rows = conn.rows;
  return statement.run(seq, rows.encodeId(id), streamKey, version, type, rows.encodeText(dataJson), rows.encodeText(metaJson), rows.encodeHash(hash)).changes;
}
