import type Database from 'better-sqlite3';
import type { EventType } from '../domain/catalogue.ts';
import type { AnyRecordedEvent } from '../events/envelope.ts';
import type { VectorIndex, VectorKind } from './vector-index.ts';

export interface ProjectionContext {
  db: Database.Database;
  vectors: VectorIndex;
}

/**
 * One projection: the tables it owns, the events it reads, and how an event changes its rows.
 * Bump `version` when the tables or their meaning change: on open, a projection whose stored version
 * differs is dropped and replayed from seq 0 on its own (the others keep their checkpoints).
 */
export interface Projection {
  readonly name: string;
  readonly version: number;
  /** Idempotent DDL (CREATE … IF NOT EXISTS). */
  readonly ddl: string;
  /** Tables (and FTS tables) it owns, for reset and for comparison; vec tables come from `vectorKinds`. */
  readonly tables: readonly string[];
  readonly vectorKinds: readonly VectorKind[];
  readonly handles: readonly EventType[];
  /** Prepares statements once; the returned function must not throw for a valid event. */
  prepare(ctx: ProjectionContext): (event: AnyRecordedEvent) => void;
}

export const isoTime = (ms: number): string => new Date(ms).toISOString();
