import Database from 'better-sqlite3';
import { Subject, throwError, type Observable } from 'rxjs';
import type { AnyRecordedEvent, AppendOptions, AppendResult, EventMeta, ExpectedVersion, NewEvent } from '../envelope.ts';
import { ImportRefusedError, InvalidEventError, ReadOnlyStoreError, StoreClosedError, WriterLockedError, WrongExpectedVersionError } from '../errors.ts';
import { encodeData, decodeData } from '../codec.ts';
import { chainHash, GENESIS_HASH } from '../hash.ts';
import { defaultSchemaRegistry, type SchemaRegistry } from '../schema-registry.ts';
import type { EventStore, ReadAllOptions, ReadStreamOptions, VerifyReport } from '../store.ts';
import { catchUpThenLive } from '../subscribe.ts';
import { CREATE_SCHEMA, SELECT_EVENT_COLUMNS } from './schema.sql.ts';
import { SqliteSnapshotStore } from './snapshots.ts';
import { ChainVerifier, verifyRows, type StoredRow } from '../verify.ts';
import { WriterLock } from './writer-lock.ts';

export interface SqliteEventStoreOptions {
  /** File path, or ':memory:' for tests. */
  path: string;
  /**
   * 'normal' (default): WAL with synchronous=NORMAL — a process crash loses nothing acknowledged, an OS
   * crash or power loss may lose the last commits. 'full': every commit is fsynced before it is acknowledged.
   */
  durability?: 'normal' | 'full';
  registry?: SchemaRegistry;
  /** Clock for meta.timestamp; injectable for deterministic tests. */
  now?: () => number;
  /**
   * Open an existing log for reading only (verify, export, inspection beside a running server): no
   * writer lock is taken and the file is opened read-only; append and import reject with
   * ReadOnlyStoreError. Without it, opening a file whose writer lock is held throws WriterLockedError.
   */
  readonly?: boolean;
}

interface PreparedEvent {
  id: string;
  type: string;
  dataJson: string;
  meta: EventMeta;
  data: unknown;
}

interface PendingAppend {
  stream: string;
  events: PreparedEvent[];
  expected: ExpectedVersion;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

type Row = StoredRow;
type Outcome = { ok: true; result: AppendResult; recorded: AnyRecordedEvent[] } | { ok: false; error: unknown };

const VALID_STREAM = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const FROM = 'FROM events e JOIN streams s USING (stream_key)';
const RAW_COLUMNS = 'seq, id, stream_key, version, type, data, meta, hash';
type RawRow = [seq: number, id: string, streamKey: number, version: number, type: string, data: string, meta: string, hash: string];

/**
 * The SQLite event log. Appends from many callers in the same tick are group-committed: one
 * transaction, one fsync, each caller learning its own outcome (a conflicting append is rolled back
 * to its savepoint without failing the others).
 *
 * One writer per file: opening a file (not read-only) takes an exclusive writer lock (see
 * writer-lock.ts), so a second process — or a second store in this one — fails fast, at open, with
 * WriterLockedError instead of forking the hash chain. `{ readonly: true }` opens without it (verify,
 * export, inspection while a server runs).
 */
export class SqliteEventStore implements EventStore {
  readonly snapshots: SqliteSnapshotStore;
  private readonly db: Database.Database;
  private readonly path: string;
  private readonly inMemory: boolean;
  private readonly readonly: boolean;
  private readonly registry: SchemaRegistry;
  private readonly now: () => number;
  private readonly live = new Subject<AnyRecordedEvent>();
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private importing = false;
  private lock: WriterLock | undefined;

  // Writer state: valid while this connection holds the writer lock; re-read from the file when
  // the lock is taken and whenever the file's head is not the one we last wrote.
  private headSeq = 0;
  private headHash = GENESIS_HASH;
  private readonly streams = new Map<string, { key: number; version: number }>();

  private readonly stmt: {
    streamByName: Database.Statement;
    insertStream: Database.Statement;
    streamVersion: Database.Statement;
    insertEvent: Database.Statement;
    eventById: Database.Statement;
    insertEventIfNew: Database.Statement;
    seqById: Database.Statement;
    readAll: Database.Statement;
    streamName: Database.Statement;
    readRaw: Database.Statement;
    readStream: Database.Statement;
    head: Database.Statement;
    count: Database.Statement;
    savepoint: Database.Statement;
    release: Database.Statement;
    rollbackTo: Database.Statement;
  };
  /** Filtered readAll queries, one prepared statement per shape (stream filter × number of types). */
  private readonly filteredReads = new Map<string, Database.Statement>();
  private readonly streamNames = new Map<number, string>();

  constructor(options: SqliteEventStoreOptions) {
    this.registry = options.registry ?? defaultSchemaRegistry();
    this.now = options.now ?? Date.now;
    this.path = options.path;
    this.inMemory = options.path === ':memory:' || options.path === '';
    this.readonly = options.readonly === true;
    if (this.readonly && this.inMemory) throw new Error('a read-only event store needs a file path, not :memory:');
    // The lock comes first, before the file is touched: a second writer fails here, at open, with a
    // message naming the file (the CLI relies on this to keep its hands off a running server's log).
    if (!this.readonly && !this.inMemory) {
      this.lock = WriterLock.tryAcquire(this.path);
      if (!this.lock) throw new WriterLockedError(this.path);
    }
    try {
      this.db = this.readonly ? new Database(options.path, { readonly: true, fileMustExist: true }) : new Database(options.path);
    } catch (err) {
      this.lock?.release();
      throw err;
    }
    try {
      this.db.pragma('busy_timeout = 5000');
      if (this.readonly) checkIsEventLog(this.db, this.path);
      else initWriter(this.db, options.durability);
    } catch (err) {
      this.db.close();
      this.lock?.release();
      throw err;
    }
    this.stmt = {
      streamByName: this.db.prepare('SELECT stream_key AS key FROM streams WHERE name = ?'),
      insertStream: this.db.prepare('INSERT INTO streams (name) VALUES (?)'),
      streamVersion: this.db.prepare('SELECT coalesce(max(version), 0) AS v FROM events WHERE stream_key = ?'),
      insertEvent: this.db.prepare(
        'INSERT INTO events (seq, id, stream_key, version, type, data, meta, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      eventById: this.db.prepare(`SELECT ${SELECT_EVENT_COLUMNS} ${FROM} WHERE e.id = ?`),
      insertEventIfNew: this.db.prepare(
        'INSERT INTO events (seq, id, stream_key, version, type, data, meta, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
      ),
      seqById: this.db.prepare('SELECT seq FROM events WHERE id = ?').pluck(),
      // The hot read paths skip the join: stream names come from an in-memory cache (names never change).
      readAll: this.db.prepare(`SELECT ${RAW_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`).raw(),
      streamName: this.db.prepare('SELECT name FROM streams WHERE stream_key = ?').pluck(),
      readRaw: this.db.prepare(`SELECT ${SELECT_EVENT_COLUMNS} ${FROM} WHERE e.seq > ? ORDER BY e.seq LIMIT ?`).raw(),
      readStream: this.db.prepare(`SELECT ${RAW_COLUMNS} FROM events WHERE stream_key = ? AND version >= ? ORDER BY version LIMIT ?`).raw(),
      head: this.db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1'),
      count: this.db.prepare('SELECT count(*) FROM events').pluck(),
      savepoint: this.db.prepare('SAVEPOINT append_one'),
      release: this.db.prepare('RELEASE append_one'),
      rollbackTo: this.db.prepare('ROLLBACK TO append_one'),
    };
    this.reloadHead();
    this.snapshots = new SqliteSnapshotStore(this.db);
  }

  /** The underlying connection, for tests that tamper on purpose. */
  get database(): Database.Database {
    return this.db;
  }

  append(stream: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (this.readonly) return Promise.reject(new ReadOnlyStoreError(this.path));
    try {
      const expected = options.expectedVersion ?? 'any';
      checkExpectationShape(expected);
      const prepared = this.prepare(stream, events);
      return new Promise<AppendResult>((resolve, reject) => {
        this.pending.push({ stream, events: prepared, expected, resolve, reject });
        this.scheduleFlush();
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Validates synchronously so a bad payload is refused before it can join a group commit. */
  private prepare(stream: string, events: readonly NewEvent[]): PreparedEvent[] {
    if (typeof stream !== 'string' || !VALID_STREAM.test(stream)) {
      throw new InvalidEventError('(envelope)', [`stream name "${stream}" must match ${VALID_STREAM}`]);
    }
    if (!Array.isArray(events) || events.length === 0) throw new InvalidEventError('(envelope)', ['append needs at least one event']);
    return events.map((e) => {
      if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > 200) {
        throw new InvalidEventError(String(e.type), ['id must be a non-empty string of at most 200 characters']);
      }
      const data = this.registry.validate(e.type, e.data);
      const meta: EventMeta = {
        ...e.meta,
        timestamp: e.meta?.timestamp ?? this.now(),
        schemaVersion: this.registry.versionOf(e.type),
      };
      return { id: e.id, type: e.type, data, dataJson: encodeData(data), meta };
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: lets appends issued in the same I/O turn join one transaction.
    setImmediate(() => this.flush());
  }

  /** Commits every pending append in one transaction. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.importing) return; // importRaw schedules a flush when it is done
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (this.closed) {
      for (const request of batch) request.reject(new StoreClosedError());
      return;
    }

    let outcomes: Outcome[];
    try {
      this.becomeWriter();
      // Fast path without a savepoint per caller; if some append fails in a way that may have left
      // writes behind, the group is rolled back and replayed with each caller isolated.
      outcomes = this.commitGroup(batch, false) ?? this.commitGroup(batch, true)!;
    } catch (error) {
      if (this.db.open && this.db.inTransaction) this.db.exec('ROLLBACK');
      if (this.db.open) this.reloadHead();
      for (const request of batch) request.reject(error);
      return;
    }
    batch.forEach((request, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) {
        for (const e of outcome.recorded) this.live.next(e);
        request.resolve(outcome.result);
      } else {
        request.reject(outcome.error);
      }
    });
  }

  /**
   * One transaction for the whole group. Returns undefined (after rolling back) when, not isolating,
   * an append failed after it may have written — the caller then retries with isolation.
   */
  private commitGroup(batch: PendingAppend[], isolate: boolean): Outcome[] | undefined {
    this.db.exec('BEGIN IMMEDIATE');
    this.checkHeadIsOurs();
    const outcomes: Outcome[] = [];
    for (const request of batch) {
      if (isolate) {
        outcomes.push(this.writeIsolated(request));
        continue;
      }
      try {
        outcomes.push({ ok: true, ...this.write(request) });
      } catch (error) {
        // write() checks the expectation before writing anything: nothing to undo.
        if (error instanceof WrongExpectedVersionError) outcomes.push({ ok: false, error });
        else {
          this.db.exec('ROLLBACK');
          this.reloadHead();
          return undefined;
        }
      }
    }
    this.db.exec('COMMIT');
    return outcomes;
  }

  /** One caller's append behind a savepoint: a failure undoes only this caller's writes. */
  private writeIsolated(request: PendingAppend): Outcome {
    const before = { seq: this.headSeq, hash: this.headHash, stream: this.streams.get(request.stream) };
    this.stmt.savepoint.run();
    try {
      const outcome: Outcome = { ok: true, ...this.write(request) };
      this.stmt.release.run();
      return outcome;
    } catch (error) {
      this.stmt.rollbackTo.run();
      this.stmt.release.run();
      this.headSeq = before.seq;
      this.headHash = before.hash;
      if (before.stream) this.streams.set(request.stream, before.stream);
      else this.streams.delete(request.stream);
      return { ok: false, error };
    }
  }

  private write(request: PendingAppend): { result: AppendResult; recorded: AnyRecordedEvent[] } {
    const stream = this.streamState(request.stream);
    if (stream && stream.version > 0) return this.writeToExistingStream(request, stream);
    const current = stream?.version ?? 0;
    const inLog = new Map<string, number>();
    const fresh: PreparedEvent[] = [];
    const firstOccurrence = new Set<string>();
    for (const e of request.events) {
      if (inLog.has(e.id) || firstOccurrence.has(e.id)) continue;
      const existing = this.stmt.seqById.get(e.id) as number | undefined;
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
      const key = stream?.key ?? Number(this.stmt.insertStream.run(request.stream).lastInsertRowid);
      for (const e of fresh) {
        const seq = this.headSeq + 1;
        version += 1;
        const metaJson = JSON.stringify(e.meta);
        const hash = chainHash(this.headHash, {
          seq, id: e.id, stream: request.stream, version, type: e.type, dataJson: e.dataJson, metaJson,
        });
        this.stmt.insertEvent.run(seq, e.id, key, version, e.type, e.dataJson, metaJson, hash);
        this.headSeq = seq;
        this.headHash = hash;
        assigned.set(e.id, seq);
        recorded.push({ seq, id: e.id, stream: request.stream, version, type: e.type, data: e.data, meta: e.meta, hash } as AnyRecordedEvent);
      }
      this.streams.set(request.stream, { key, version });
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
   * separate lookup per event (measured: ~20% of group-commit time). Same outcomes as write().
   */
  private writeToExistingStream(request: PendingAppend, stream: { key: number; version: number }): { result: AppendResult; recorded: AnyRecordedEvent[] } {
    const current = stream.version;
    if (!expectationHolds(request.expected, current, true)) {
      // A pure retry skips the version check: the original append already passed it.
      const originals = request.events.map((e) => this.stmt.seqById.get(e.id) as number | undefined);
      if (originals.some((seq) => seq === undefined)) throw new WrongExpectedVersionError(request.stream, request.expected, current);
      const positions = request.events.map((e, i) => ({ id: e.id, seq: originals[i]!, duplicate: true }));
      return { result: { lastSeq: Math.max(...originals as number[]), version: current, positions }, recorded: [] };
    }
    const recorded: AnyRecordedEvent[] = [];
    const positions: AppendResult['positions'] = [];
    let version = current;
    let lastSeq = 0;
    for (const e of request.events) {
      const seq = this.headSeq + 1;
      const metaJson = JSON.stringify(e.meta);
      const hash = chainHash(this.headHash, {
        seq, id: e.id, stream: request.stream, version: version + 1, type: e.type, dataJson: e.dataJson, metaJson,
      });
      if (this.stmt.insertEventIfNew.run(seq, e.id, stream.key, version + 1, e.type, e.dataJson, metaJson, hash).changes === 0) {
        const original = this.stmt.seqById.get(e.id) as number;
        positions.push({ id: e.id, seq: original, duplicate: true });
        if (original > lastSeq) lastSeq = original;
        continue;
      }
      version += 1;
      this.headSeq = seq;
      this.headHash = hash;
      lastSeq = seq;
      positions.push({ id: e.id, seq, duplicate: false });
      recorded.push({ seq, id: e.id, stream: request.stream, version, type: e.type, data: e.data, meta: e.meta, hash } as AnyRecordedEvent);
    }
    if (recorded.length > 0) this.streams.set(request.stream, { key: stream.key, version });
    return { result: { lastSeq, version, positions }, recorded };
  }

  /**
   * A writable store holds the writer lock from its open (in-memory logs are private to their
   * connection); only a read-only one gets here without it.
   */
  private becomeWriter(): void {
    if (this.readonly) throw new ReadOnlyStoreError(this.path);
    if (this.lock || this.inMemory) return;
    // Unreachable today (the constructor takes the lock); kept so a lock lost by a refactor fails loudly.
    throw new WriterLockedError(this.path);
  }

  /** Inside the write transaction: the cached head must be the file's, or the chain would fork. */
  private checkHeadIsOurs(): void {
    const head = this.stmt.head.get() as { seq: number; hash: string } | undefined;
    if ((head?.seq ?? 0) !== this.headSeq || (head?.hash ?? GENESIS_HASH) !== this.headHash) this.reloadHead();
  }

  private reloadHead(): void {
    const head = this.stmt.head.get() as { seq: number; hash: string } | undefined;
    this.headSeq = head?.seq ?? 0;
    this.headHash = head?.hash ?? GENESIS_HASH;
    this.streams.clear();
  }

  private streamState(name: string): { key: number; version: number } | undefined {
    const cached = this.streams.get(name);
    if (cached) return cached;
    const row = this.stmt.streamByName.get(name) as { key: number } | undefined;
    if (!row) return undefined;
    const state = { key: row.key, version: (this.stmt.streamVersion.get(row.key) as { v: number }).v };
    // Only the writer may trust a cached version; a reader re-reads it next time.
    if (this.lock || this.inMemory) this.streams.set(name, state);
    return state;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<AnyRecordedEvent[]> {
    this.assertOpen();
    const state = this.streamState(stream);
    if (!state) return [];
    const rows = this.stmt.readStream.all(state.key, options.fromVersion ?? 1, options.limit ?? -1) as RawRow[];
    return rows.map((r) => this.decodeRaw(r));
  }

  async readAll(options: ReadAllOptions = {}): Promise<AnyRecordedEvent[]> {
    this.assertOpen();
    const afterSeq = options.afterSeq ?? 0;
    const limit = options.limit ?? 1000;
    if (options.stream === undefined && options.types === undefined) {
      return (this.stmt.readAll.all(afterSeq, limit) as RawRow[]).map((r) => this.decodeRaw(r));
    }
    if (options.types && options.types.length === 0) return [];
    const params: unknown[] = [afterSeq];
    if (options.stream !== undefined) {
      const state = this.streamState(options.stream);
      if (!state) return [];
      params.push(state.key);
    }
    if (options.types) params.push(...options.types);
    params.push(limit);
    return (this.filteredRead(options.stream !== undefined, options.types?.length ?? 0).all(...params) as RawRow[]).map((r) => this.decodeRaw(r));
  }

  private filteredRead(byStream: boolean, typeCount: number): Database.Statement {
    const shape = `${byStream}:${typeCount}`;
    let stmt = this.filteredReads.get(shape);
    if (!stmt) {
      const where = ['seq > ?'];
      if (byStream) where.push('stream_key = ?');
      if (typeCount > 0) where.push(`type IN (${new Array(typeCount).fill('?').join(',')})`);
      stmt = this.db.prepare(`SELECT ${RAW_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).raw();
      this.filteredReads.set(shape, stmt);
    }
    return stmt;
  }

  async getById(id: string): Promise<AnyRecordedEvent | undefined> {
    this.assertOpen();
    const row = this.stmt.eventById.get(id) as Row | undefined;
    return row ? this.decode(row) : undefined;
  }

  async head(): Promise<number> {
    this.assertOpen();
    if (!this.lock && !this.inMemory) this.reloadHead(); // a reader sees the writer's progress
    return this.headSeq;
  }

  async streamVersion(stream: string): Promise<number> {
    this.assertOpen();
    return this.streamState(stream)?.version ?? 0;
  }

  subscribe(afterSeq = 0): Observable<AnyRecordedEvent> {
    if (this.closed) return throwError(() => new StoreClosedError());
    return catchUpThenLive((after) => this.readAll({ afterSeq: after, limit: 1000 }), this.live, afterSeq);
  }

  async verify(): Promise<VerifyReport> {
    this.assertOpen();
    const iterate = this.db.prepare(`SELECT ${SELECT_EVENT_COLUMNS} ${FROM} ORDER BY e.seq`).iterate() as IterableIterator<Row>;
    return verifyRows(iterate);
  }

  /** Rows exactly as stored (encoded data and meta), in seq order: what export writes. */
  async readRaw(afterSeq: number, limit: number): Promise<StoredRow[]> {
    this.assertOpen();
    return (this.stmt.readRaw.all(afterSeq, limit) as unknown[][]).map(
      ([seq, id, stream, version, type, data, meta, hash]) => ({ seq, id, stream, version, type, data, meta, hash }) as StoredRow,
    );
  }

  /**
   * Writes rows verbatim (seq, version, meta and hash preserved) into an EMPTY log, in one
   * transaction, verifying the chain as they arrive. Any problem — the log is not empty, a broken
   * chain, a duplicate id — throws ImportRefusedError and nothing is written. The append-only
   * triggers stay in place: import only ever inserts. Appends issued meanwhile wait for the end.
   */
  async importRaw(rows: Iterable<StoredRow> | AsyncIterable<StoredRow>): Promise<number> {
    this.assertOpen();
    if (this.importing) throw new ImportRefusedError('not_empty', 'another import is in progress');
    this.importing = true;
    const verifier = new ChainVerifier();
    const ids = new Set<string>();
    const keys = new Map<string, number>();
    let last: StoredRow | undefined;
    try {
      this.becomeWriter();
      this.db.exec('BEGIN IMMEDIATE');
      if ((this.stmt.count.get() as number) > 0 || this.pending.length > 0) {
        throw new ImportRefusedError('not_empty', `the event log ${this.path} is not empty: import only into an empty log`);
      }
      for await (const row of rows) {
        if (this.closed) throw new StoreClosedError();
        const problem = verifier.check(row);
        if (problem) {
          throw new ImportRefusedError('broken_chain', `seq ${row.seq}: ${problem.kind}: ${problem.detail}`, undefined, row.seq);
        }
        if (ids.has(row.id)) throw new ImportRefusedError('duplicate_id', `seq ${row.seq}: duplicate event id ${row.id}`, undefined, row.seq);
        ids.add(row.id);
        let key = keys.get(row.stream);
        if (key === undefined) {
          key = Number(this.stmt.insertStream.run(row.stream).lastInsertRowid);
          keys.set(row.stream, key);
        }
        this.stmt.insertEvent.run(row.seq, row.id, key, row.version, row.type, row.data, row.meta, row.hash);
        last = row;
      }
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.open && this.db.inTransaction) this.db.exec('ROLLBACK');
      this.streamNames.clear(); // a read during the import may have cached a stream key now rolled back
      throw error;
    } finally {
      this.importing = false;
      if (this.db.open) this.reloadHead();
      if (this.pending.length > 0) this.scheduleFlush();
    }
    // Live subscribers (there can only be some who subscribed to the empty log) get the imported events.
    if (last && this.live.observed) {
      for (let after = 0; after < last.seq; ) {
        const page = await this.readAll({ afterSeq: after, limit: 1000 });
        for (const e of page) this.live.next(e);
        after = page[page.length - 1].seq;
      }
    }
    return verifier.checked;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Flush until quiet: a subscriber may append from inside a flush.
    while (this.pending.length > 0 && !this.importing) this.flush();
    this.closed = true;
    for (const request of this.pending.splice(0)) request.reject(new StoreClosedError());
    this.live.complete();
    if (this.db.inTransaction) this.db.exec('ROLLBACK'); // an unfinished import
    this.db.close();
    this.lock?.release();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private decodeRaw(r: RawRow): AnyRecordedEvent {
    const meta = JSON.parse(r[6]) as EventMeta;
    const data = this.registry.upcast(r[4], meta.schemaVersion ?? 1, decodeData(r[5]));
    return { seq: r[0], id: r[1], stream: this.streamName(r[2]), version: r[3], type: r[4], data, meta, hash: r[7] } as AnyRecordedEvent;
  }

  private streamName(key: number): string {
    let name = this.streamNames.get(key);
    if (name === undefined) {
      name = this.stmt.streamName.get(key) as string;
      this.streamNames.set(key, name);
    }
    return name;
  }

  private decode(row: Row): AnyRecordedEvent {
    const meta = JSON.parse(row.meta) as EventMeta;
    const data = this.registry.upcast(row.type, meta.schemaVersion ?? 1, decodeData(row.data));
    return { seq: row.seq, id: row.id, stream: row.stream, version: row.version, type: row.type, data, meta, hash: row.hash } as AnyRecordedEvent;
  }
}

/** Pragmas and schema of a writable log (a read-only connection may change neither). */
function initWriter(db: Database.Database, durability: SqliteEventStoreOptions['durability']): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  // Fewer, larger checkpoints: measured as one of the two biggest wins for append throughput.
  db.pragma('wal_autocheckpoint = 10000');
  db.exec(CREATE_SCHEMA);
}

function checkIsEventLog(db: Database.Database, path: string): void {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('events', 'streams', 'snapshots')`).pluck().all();
  if (tables.length !== 3) throw new Error(`${path} is not a Chronicle event log (no events/streams/snapshots tables)`);
}

function checkExpectationShape(expected: ExpectedVersion): void {
  const ok =
    expected === 'any' || expected === 'no_stream' || expected === 'stream_exists' ||
    (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0);
  if (!ok) throw new InvalidEventError('(envelope)', [`expectedVersion ${String(expected)} is not 'any', 'no_stream', 'stream_exists' or a version >= 0`]);
}

function expectationHolds(expected: ExpectedVersion, current: number, exists: boolean): boolean {
  return (
    expected === 'any' ||
    (expected === 'no_stream' && !exists) ||
    (expected === 'stream_exists' && exists) ||
    (typeof expected === 'number' && expected === current)
  );
}

function checkExpected(stream: string, expected: ExpectedVersion, current: number, exists: boolean): void {
  if (!expectationHolds(expected, current, exists)) throw new WrongExpectedVersionError(stream, expected, current);
}
