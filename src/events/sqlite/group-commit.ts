import { WrongExpectedVersionError } from '../errors.ts';
import { checkHeadIsOurs, forgetRolledBack, type LogConnection } from './connection.ts';
import type { AppendOutcome } from '../group-commit-queue.ts';
import { writeAppend, type PendingAppend } from './append.ts';

export type Outcome = AppendOutcome;

/**
 * Commits a group of appends in one transaction, each caller learning its own outcome. Fast path
 * without a savepoint per caller; if some append fails in a way that may have left writes behind,
 * the group is rolled back and replayed with each caller isolated behind a savepoint.
 */
export function commitGroup(conn: LogConnection, batch: readonly PendingAppend[]): Outcome[] {
  return tryCommitGroup(conn, batch, false) ?? tryCommitGroup(conn, batch, true)!;
}

/**
 * One transaction for the whole group. Returns undefined (after rolling back) when, not isolating,
 * an append failed after it may have written — the caller then retries with isolation.
 */
function tryCommitGroup(conn: LogConnection, batch: readonly PendingAppend[], isolate: boolean): Outcome[] | undefined {
  conn.db.exec('BEGIN IMMEDIATE');
  checkHeadIsOurs(conn);
  const outcomes: Outcome[] = [];
  for (const request of batch) {
    if (isolate) {
      outcomes.push(writeIsolated(conn, request));
      continue;
    }
    try {
      outcomes.push({ ok: true, ...writeAppend(conn, request) });
    } catch (error) {
      // writeAppend() checks the expectation before writing anything: nothing to undo.
      if (error instanceof WrongExpectedVersionError) outcomes.push({ ok: false, error });
      else {
        conn.db.exec('ROLLBACK');
        forgetRolledBack(conn);
        return undefined;
      }
    }
  }
  conn.db.exec('COMMIT');
  return outcomes;
}

/** One caller's append behind a savepoint: a failure undoes only this caller's writes. */
function writeIsolated(conn: LogConnection, request: PendingAppend): Outcome {
  const before = { seq: conn.headSeq, hash: conn.headHash, stream: conn.streams.get(request.stream) };
  conn.stmt.savepoint.run();
  try {
    const outcome: Outcome = { ok: true, ...writeAppend(conn, request) };
    conn.stmt.release.run();
    return outcome;
  } catch (error) {
    conn.stmt.rollbackTo.run();
    conn.stmt.release.run();
    conn.rows.afterRollback();
    conn.headSeq = before.seq;
    conn.headHash = before.hash;
    if (before.stream) conn.streams.set(request.stream, before.stream);
    else conn.streams.delete(request.stream);
    return { ok: false, error };
  }
}
