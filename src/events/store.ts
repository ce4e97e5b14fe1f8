import type { Observable } from 'rxjs';
import type { AnyRecordedEvent, AppendOptions, AppendResult, NewEvent } from './envelope.ts';

export interface ReadAllOptions {
  /** Return events with seq > afterSeq (default 0). */
  afterSeq?: number;
  /** Page size (default 1000). */
  limit?: number;
  /** Only this stream. */
  stream?: string;
  /** Only these types. */
  types?: readonly string[];
}

export interface ReadStreamOptions {
  /** First version to return (default 1). */
  fromVersion?: number;
  limit?: number;
}

export interface VerifyReport {
  ok: boolean;
  /** Events checked. */
  checked: number;
  /** The first problem found, if any: where and what. */
  problem?: { seq: number; kind: 'hash_mismatch' | 'seq_gap' | 'version_gap' | 'undecodable'; detail: string };
}

export interface Snapshot {
  /** Actor id, e.g. "agent-<id>". */
  actorId: string;
  /** Highest seq whose effect the snapshot includes. */
  seq: number;
  /** Version of the machine that wrote it; a mismatch means "ignore and replay". */
  machineVersion: string;
  state: unknown;
}

/**
 * Actor snapshots are a cache for fast recovery, not truth: a missing, stale or corrupt snapshot only
 * means a longer replay from the log.
 */
export interface SnapshotStore {
  save(snapshot: Snapshot): Promise<void>;
  /** Undefined when there is none or it cannot be decoded. */
  load(actorId: string): Promise<Snapshot | undefined>;
  delete(actorId: string): Promise<void>;
}

/**
 * The event log. Every implementation (SQLite, PostgreSQL in src/events/postgres) runs the same contract suite
 * in test/events/contract.ts.
 */
export interface EventStore {
  /**
   * Appends events to one stream atomically. Events whose id is already in the log are not written
   * again: their original position is returned with `duplicate: true` (durable idempotency).
   * Throws WrongExpectedVersionError on a concurrency conflict and InvalidEventError on a bad payload;
   * in both cases nothing is written.
   */
  append(stream: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;

  readStream(stream: string, options?: ReadStreamOptions): Promise<AnyRecordedEvent[]>;

  /** One page of the whole log in seq order. */
  readAll(options?: ReadAllOptions): Promise<AnyRecordedEvent[]>;

  /** The event with this id, if any. */
  getById(id: string): Promise<AnyRecordedEvent | undefined>;

  /** Seq of the last event in the log (0 when empty). */
  head(): Promise<number>;

  /** Current version of a stream (0 when it does not exist). */
  streamVersion(stream: string): Promise<number>;

  /**
   * Every event with seq > afterSeq, in order: first those already in the log, then live ones as they
   * are appended — with no gap and no duplicate at the hand-over.
   */
  subscribe(afterSeq?: number): Observable<AnyRecordedEvent>;

  /** Re-computes the hash chain and checks seq and per-stream version continuity. */
  verify(): Promise<VerifyReport>;

  readonly snapshots: SnapshotStore;

  /** Flushes pending appends, completes subscriptions and releases the database. */
  close(): Promise<void>;
}
