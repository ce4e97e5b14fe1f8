import type { ExpectedVersion } from './envelope.ts';

/** The stream was not at the version the caller expected: re-read and decide again, or give up. */
export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${stream} is at version ${actual}, expected ${String(expected)}`);
  }
}

/** A payload, type or envelope field failed validation; nothing was written. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(
    readonly eventType: string,
    readonly issues: string[],
  ) {
    super(`invalid ${eventType} event: ${issues.join('; ')}`);
  }
}

/** The store was closed; no further appends or reads are possible. */
export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';
  constructor() {
    super('event store is closed');
  }
}

/** Another connection (usually another process) is the log's writer; two writers could fork the hash chain. */
export class WriterLockedError extends Error {
  override readonly name = 'WriterLockedError';
  constructor(readonly path: string) {
    super(
      `the event log ${path} already has a writer (another process, or another store in this one, holds its writer lock): stop it first, or open the log read-only`,
    );
  }
}

/** The store was opened with `{ readonly: true }`: it reads, verifies and exports, but never writes. */
export class ReadOnlyStoreError extends Error {
  override readonly name = 'ReadOnlyStoreError';
  constructor(readonly path: string) {
    super(`the event log ${path} was opened read-only; open it without { readonly: true } to write (only one writer at a time)`);
  }
}

/**
 * Why an import was refused (docs/API.md, `chronicle events import`):
 *   not_empty         the target log has events (or another import is running);
 *   bad_json          a line is not JSON;
 *   bad_row           a line lacks a field of the export's row shape, or has it mistyped;
 *   broken_chain      a row does not continue the hash chain (edited, missing or reordered);
 *   duplicate_id      an id met twice (the chain recomputed around it);
 *   invalid_envelope  a row an append would refuse before its payload: its stream name, its id, an
 *                     event type the catalogue does not know, or meta that is not a JSON object with a
 *                     schemaVersion this catalogue knows;
 *   invalid_payload   a payload an append would refuse: it does not decode, cannot be upcast, or fails
 *                     its type's schema (after upcasting, as reads would see it).
 */
export type ImportRefusalReason = 'not_empty' | 'bad_json' | 'bad_row' | 'broken_chain' | 'duplicate_id' | 'invalid_envelope' | 'invalid_payload';

/** An NDJSON import was refused; nothing was written. `line` is 1-based. */
export class ImportRefusedError extends Error {
  override readonly name = 'ImportRefusedError';
  /** The refused row's event type (invalid_envelope, invalid_payload). */
  readonly eventType?: string;
  /** Where in the row it went wrong: zod's first issue path in the payload (`text`, `character.bio.0`, `(data)`), or `meta`, `stream`, `id`, `type`. */
  readonly field?: string;
  constructor(
    readonly reason: ImportRefusalReason,
    message: string,
    readonly line?: number,
    readonly seq?: number,
    about: { eventType?: string; field?: string } = {},
  ) {
    super(message);
    if (about.eventType !== undefined) this.eventType = about.eventType;
    if (about.field !== undefined) this.field = about.field;
  }
}

/**
 * The append was made under a claim (AppendOptions.claim) that no longer holds: this node's lease
 * expired or was replaced, or the actor now belongs to another node (src/cluster). Nothing was written.
 */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly actorId: string,
    detail: string,
  ) {
    super(`not appended for ${actorId}: ${detail}`);
  }
}
