import Database from 'better-sqlite3';
import { WriterLockedError } from '../errors.ts';
import { GENESIS_HASH } from '../hash.ts';
import type { SchemaRegistry } from '../schema-registry.ts';
import { openRowFormat, type LogFormatVersion, type RowFormat } from './row-format.ts';
import { LOG_TABLES, prepareStatements, type Statements } from './statements.ts';
import { WriterLock } from './writer-lock.ts';

export interface SqliteEventStoreOptions {
  /** File path, or ':memory:' for tests. */
  path: string;
  /**
   * 'normal' (default): WAL with synchronous=NORMAL — a process crash loses nothing acknowledged, an OS
   * crash or power loss may lose the last commits. 'full': every commit is fsynced before it is acknowledged.
   */
  durability?: 'normal' | 'full';
  /**
   * The event types this log accepts and how old payloads are upcast: the log knows none of its own.
   * Chronicle passes `eventRegistry` from src/domain/event-registry.ts; tests may pass their own.
   */
  registry: SchemaRegistry;
  /** Clock for meta.timestamp; injectable for deterministic tests. */
  now?: () => number;
  /**
   * Open an existing log for reading only (verify, export, inspection beside a running server): no
   * writer lock is taken and the file is opened read-only; append and import reject with
   * ReadOnlyStoreError. Without it, opening a file whose writer lock is held throws WriterLockedError.
   */
  readonly?: boolean;
  /**
   * The row format of a NEW file (default: the newest, 2); an existing file keeps its own. Format 1
   * (text rows) is what logs created before format 2 hold; tests create one with this.
   */
  format?: LogFormatVersion;
}

export interface StreamState {
  key: number;
  version: number;
}

/**
 * One open log file and what the operations (append, read, import) share: the connection, its
 * prepared statements and the writer's cached head and stream versions.
 */
export interface LogConnection {
  readonly db: Database.Database;
  readonly stmt: Statements;
  readonly path: string;
  readonly inMemory: boolean;
  readonly readonly: boolean;
  /** Held from open by a writable file store; in-memory logs are private to their connection. */
  readonly lock: WriterLock | undefined;
  readonly registry: SchemaRegistry;
  /** How this file stores ids, payloads, meta and hashes (row-format.ts). */
  readonly rows: RowFormat;
  readonly now: () => number;
  // Writer state: valid while this connection holds the writer lock; re-read from the file when
  // the lock is taken and whenever the file's head is not the one we last wrote.
  headSeq: number;
  headHash: string;
  readonly streams: Map<string, StreamState>;
  /** Stream key → name, for the hot read paths that skip the join. */
  readonly streamNames: Map<number, string>;
  /** Filtered readAll queries, one prepared statement per shape (stream filter × number of types). */
  readonly filteredReads: Map<string, Database.Statement>;
}

/** Opens (and, when writable, locks and initialises) a log file. */
export function openConnection(options: SqliteEventStoreOptions): LogConnection {
  const { path, registry } = options;
  if (!registry) throw new Error('an event store needs a schema registry: pass `registry: eventRegistry` (src/domain/event-registry.ts)');
  const inMemory = path === ':memory:' || path === '';
  const readonly = options.readonly === true;
  if (readonly && inMemory) throw new Error('a read-only event store needs a file path, not :memory:');
  // The lock comes first, before the file is touched: a second writer fails here, at open, with a
  // message naming the file (the CLI relies on this to keep its hands off a running server's log).
  let lock: WriterLock | undefined;
  if (!readonly && !inMemory) {
    lock = WriterLock.tryAcquire(path);
    if (!lock) throw new WriterLockedError(path);
  }
  let db: Database.Database;
  try {
    db = readonly ? new Database(path, { readonly: true, fileMustExist: true }) : new Database(path);
  } catch (err) {
    lock?.release();
    throw err;
  }
  let rows: RowFormat;
  try {
    db.pragma('busy_timeout = 5000');
    if (readonly) checkIsEventLog(db, path);
    else initWriter(db, options.durability);
    rows = openRowFormat(db, !readonly, options.format);
  } catch (err) {
    db.close();
    lock?.release();
    throw err;
  }
  const conn: LogConnection = {
    db,
    stmt: prepareStatements(db, rows.version),
    path,
    inMemory,
    readonly,
    lock,
    registry,
    rows,
    now: options.now ?? Date.now,
    headSeq: 0,
    headHash: GENESIS_HASH,
    streams: new Map(),
    streamNames: new Map(),
    filteredReads: new Map(),
  };
  reloadHead(conn);
  return conn;
}

/** Only the writer may trust its cached head and stream versions; a reader re-reads them. */
export function isWriter(conn: LogConnection): boolean {
  return conn.lock !== undefined || conn.inMemory;
}

/** Re-reads the head from the file and forgets cached stream versions. */
export function reloadHead(conn: LogConnection): void {
  const head = fileHead(conn);
  conn.headSeq = head.seq;
  conn.headHash = head.hash;
  conn.streams.clear();
}

/** After a transaction was rolled back: nothing the writer cached from it may outlive it. */
export function forgetRolledBack(conn: LogConnection): void {
  reloadHead(conn);
  conn.rows.afterRollback();
}

/** Inside the write transaction: the cached head must be the file's, or the chain would fork. */
export function checkHeadIsOurs(conn: LogConnection): void {
  const head = fileHead(conn);
  if (head.seq !== conn.headSeq || head.hash !== conn.headHash) reloadHead(conn);
}

function fileHead(conn: LogConnection): { seq: number; hash: string } {
  const head = conn.stmt.head.get() as { seq: number; hash: unknown } | undefined;
  return head ? { seq: head.seq, hash: conn.rows.hash(head.hash) } : { seq: 0, hash: GENESIS_HASH };
}

export function streamState(conn: LogConnection, name: string): StreamState | undefined {
  const cached = conn.streams.get(name);
  if (cached) return cached;
  const row = conn.stmt.streamByName.get(name) as { key: number } | undefined;
  if (!row) return undefined;
  const state = { key: row.key, version: (conn.stmt.streamVersion.get(row.key) as { v: number }).v };
  // Only the writer may trust a cached version; a reader re-reads it next time.
  if (isWriter(conn)) conn.streams.set(name, state);
  return state;
}

/** Pragmas and schema of a writable log (a read-only connection may change neither). */
function initWriter(db: Database.Database, durability: SqliteEventStoreOptions['durability']): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  // Fewer, larger checkpoints: measured as one of the two biggest wins for append throughput.
  db.pragma('wal_autocheckpoint = 10000');
}

function checkIsEventLog(db: Database.Database, path: string): void {
  const tables = db.prepare(LOG_TABLES).pluck().all();
  if (tables.length !== 3) throw new Error(`${path} is not a Chronicle event log (no events/streams/snapshots tables)`);
}
