import type Database from 'better-sqlite3';
import type { Observable } from 'rxjs';
import { Subject, throwError } from '../../shared/rx.ts';
import type { AnyRecordedEvent, AppendOptions, AppendResult, NewEvent } from '../envelope.ts';
import { ImportRefusedError, ReadOnlyStoreError, StoreClosedError, WriterLockedError } from '../errors.ts';
import type { EventStore, ReadAllOptions, ReadStreamOptions, VerifyReport } from '../store.ts';
import { catchUpThenLive } from '../subscribe.ts';
import type { StoredRow } from '../verify.ts';
import { prepareEvents, type PendingAppend } from './append.ts';
import { GroupCommitQueue } from '../group-commit-queue.ts';
import { forgetRolledBack, openConnection, reloadHead, streamState, type LogConnection, type SqliteEventStoreOptions } from './connection.ts';
import { checkExpectationShape } from '../append-rules.ts';
import { commitGroup } from './group-commit.ts';
import { importRows } from './import.ts';
import * as read from './read.ts';
import { SqliteSnapshotStore } from './snapshots.ts';

export type { SqliteEventStoreOptions } from './connection.ts';

/**
 * The SQLite event log. Appends from many callers in the same tick are group-committed: one
 * transaction, one fsync, each caller learning its own outcome (a conflicting append is rolled back
 * to its savepoint without failing the others).
 *
 * One writer per file: opening a file (not read-only) takes an exclusive writer lock (see
 * writer-lock.ts), so a second process — or a second store in this one — fails fast, at open, with
 * WriterLockedError instead of forking the hash chain. `{ readonly: true }` opens without it (verify,
 * export, inspection while a server runs).
 *
 * The operations live beside this file, one per file (connection, append, group-commit, read,
 * import, statements); this class holds what they share over time: the group-commit queue (the
 * one both stores use, ../group-commit-queue.ts; this store supplies the transaction), the live feed
 * for subscribers, and the open/importing/closed state.
 */
export class SqliteEventStore implements EventStore {
  readonly snapshots: SqliteSnapshotStore;
  private readonly conn: LogConnection;
  private readonly live = new Subject<AnyRecordedEvent>();
  /** Appends in groups and imports, one at a time (src/events/group-commit-queue.ts). */
  private readonly queue = new GroupCommitQueue({
    commit: (batch) => this.commitGroup(batch),
    publish: (recorded) => {
      for (const e of recorded) this.live.next(e);
    },
  });
  private closed = false;
  private closing: Promise<void> | undefined;
  private importing = false;

  constructor(options: SqliteEventStoreOptions) {
    this.conn = openConnection(options);
    this.snapshots = new SqliteSnapshotStore(this.conn.db);
  }

  /** The underlying connection, for tests that tamper on purpose. */
  get database(): Database.Database {
    return this.conn.db;
  }

  append(stream: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (this.conn.readonly) return Promise.reject(new ReadOnlyStoreError(this.conn.path));
    try {
      const expected = options.expectedVersion ?? 'any';
      checkExpectationShape(expected);
      const prepared = prepareEvents(this.conn, stream, events, options.trusted === true);
      return new Promise<AppendResult>((resolve, reject) => {
        this.queue.enqueue({ stream, events: prepared, expected, resolve, reject });
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Writes one group in one transaction (group-commit.ts); on failure the connection's cached head is re-read. */
  private commitGroup(batch: readonly PendingAppend[]) {
    if (this.closed) throw new StoreClosedError();
    const { db } = this.conn;
    try {
      this.becomeWriter();
      return commitGroup(this.conn, batch);
    } catch (error) {
      if (db.open && db.inTransaction) db.exec('ROLLBACK');
      if (db.open) forgetRolledBack(this.conn);
      throw error;
    }
  }

  /**
   * A writable store holds the writer lock from its open (in-memory logs are private to their
   * connection); only a read-only one gets here without it.
   */
  private becomeWriter(): void {
    if (this.conn.readonly) throw new ReadOnlyStoreError(this.conn.path);
    if (this.conn.lock || this.conn.inMemory) return;
    // Unreachable today (the constructor takes the lock); kept so a lock lost by a refactor fails loudly.
    throw new WriterLockedError(this.conn.path);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<AnyRecordedEvent[]> {
    this.assertOpen();
    return read.readStream(this.conn, stream, options);
  }

  async readAll(options: ReadAllOptions = {}): Promise<AnyRecordedEvent[]> {
    this.assertOpen();
    return read.readAll(this.conn, options);
  }

  async getById(id: string): Promise<AnyRecordedEvent | undefined> {
    this.assertOpen();
    return read.getById(this.conn, id);
  }

  async head(): Promise<number> {
    this.assertOpen();
    if (!this.conn.lock && !this.conn.inMemory) reloadHead(this.conn); // a reader sees the writer's progress
    return this.conn.headSeq;
  }

  async streamVersion(stream: string): Promise<number> {
    this.assertOpen();
    return streamState(this.conn, stream)?.version ?? 0;
  }

  subscribe(afterSeq = 0): Observable<AnyRecordedEvent> {
    if (this.closed) return throwError(() => new StoreClosedError());
    return catchUpThenLive((after) => this.readAll({ afterSeq: after, limit: 1000 }), this.live, afterSeq);
  }

  async verify(): Promise<VerifyReport> {
    this.assertOpen();
    return read.verify(this.conn);
  }

  /** Rows exactly as stored (encoded data and meta), in seq order: what export writes. */
  async readRaw(afterSeq: number, limit: number): Promise<StoredRow[]> {
    this.assertOpen();
    return read.readRaw(this.conn, afterSeq, limit);
  }

  /**
   * Writes rows verbatim into an EMPTY log, in one transaction (see import.ts). Appends issued
   * meanwhile wait for the end.
   */
  async importRaw(rows: Iterable<StoredRow> | AsyncIterable<StoredRow>): Promise<number> {
    this.assertOpen();
    if (this.importing) throw new ImportRefusedError('not_empty', 'another import is in progress');
    this.importing = true;
    let imported: Awaited<ReturnType<typeof importRows>>;
    try {
      this.becomeWriter();
      // On the lane, so no group commits meanwhile; appends issued before it make the log not empty.
      imported = await this.queue.exclusive(() =>
        importRows(this.conn, rows, {
          isClosed: () => this.closed,
          hasPendingAppends: () => this.queue.size > 0,
        }),
      );
    } finally {
      this.importing = false;
      if (this.conn.db.open) forgetRolledBack(this.conn);
    }
    // Live subscribers (there can only be some who subscribed to the empty log) get the imported events.
    const { last } = imported;
    if (last && this.live.observed) {
      for (let after = 0; after < last.seq; ) {
        const page = await this.readAll({ afterSeq: after, limit: 1000 });
        for (const e of page) this.live.next(e);
        after = page[page.length - 1].seq;
      }
    }
    return imported.checked;
  }

  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    // Flush until quiet (a subscriber may append from inside a flush); an import in progress is
    // abandoned instead (it sees the store closed at its next row and rolls back).
    if (!this.importing) await this.queue.drain();
    this.closed = true;
    this.queue.close();
    this.live.complete();
    const { db } = this.conn;
    if (db.inTransaction) db.exec('ROLLBACK'); // an unfinished import
    db.close();
    this.conn.lock?.release();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
