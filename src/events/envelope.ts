/**
 * The log's vocabulary of event types, filled in by the domain (src/domain/catalogue.ts) through
 * declaration merging: the log itself declares no event type and imports nothing of the domain, yet
 * every reader and writer sees the typed union. Empty here on purpose.
 */
export interface EventTypeMap {}

export type EventType = keyof EventTypeMap & string;
export type EventData<T extends EventType> = EventTypeMap[T];

/** Who caused an event: an account, an agent, or Chronicle itself (projections, supervisors, CLI). */
export interface Author {
  kind: 'user' | 'agent' | 'system';
  id: string;
}

export interface EventMeta {
  /** Id of the event (or request) that directly caused this one. */
  causationId?: string;
  /** Id shared by every event of one conversation turn / request, for tracing. */
  correlationId?: string;
  author?: Author;
  /** Milliseconds since the epoch, set by the store when absent. */
  timestamp: number;
  /** Schema version of `data` as written; readers upcast older versions. */
  schemaVersion: number;
}

/** What a caller hands to `append`: the store assigns seq, version, hash and fills meta defaults. */
export interface NewEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  data: EventData<T>;
  meta?: Partial<EventMeta>;
}

/** An event as it sits in the log. */
export interface RecordedEvent<T extends EventType = EventType> {
  /** Global, gap-free position in the log, starting at 1. */
  seq: number;
  id: string;
  stream: string;
  /** Position within the stream, starting at 1. */
  version: number;
  type: T;
  data: EventData<T>;
  meta: EventMeta;
  /** Hex SHA-256 of the previous event's hash and this event's canonical content. */
  hash: string;
}

/** Any recorded event, narrowed by `type` through the discriminated union. */
export type AnyRecordedEvent = { [T in EventType]: RecordedEvent<T> }[EventType];

/**
 * Optimistic-concurrency expectation for an append:
 * - 'any': no check;
 * - 'no_stream': the stream must not exist yet;
 * - 'stream_exists': the stream must have at least one event;
 * - a number: the stream's current version must be exactly this (0 = empty).
 */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

/**
 * Who appends: the actor whose effect this append records, and the fencing token of the node that
 * runs it (src/cluster). A clustered store refuses the append, inside its transaction, unless that
 * node still owns the actor under that token; a single-node store has nothing to fence and ignores it.
 */
export interface AppendClaim {
  actorId: string;
  token: number;
}

export interface AppendOptions {
  expectedVersion?: ExpectedVersion;
  claim?: AppendClaim;
  /**
   * The payloads were built by Chronicle's typed code from data already checked (a turn's outcome, an
   * embedding, a supervisor's record): the store checks the envelope (stream, ids, a known type) but does
   * not parse the payload with its schema again. Never for anything a user, a plugin or an import
   * supplied: those appends are validated in full (docs/DESIGN.md, "Where appends are validated"). The
   * plugin runtime's store drops this option (src/plugin-host/untrusted-store.ts).
   */
  trusted?: true;
}

export interface AppendResult {
  /** Seq of the last event of the batch (or of the original events for a duplicate append). */
  lastSeq: number;
  /** Stream version after the append. */
  version: number;
  /** Per event, in order: its seq and whether it was already in the log (idempotent no-op). */
  positions: { id: string; seq: number; duplicate: boolean }[];
}
