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

/** An NDJSON import was refused; nothing was written. `line` is 1-based. */
export class ImportRefusedError extends Error {
  override readonly name = 'ImportRefusedError';
  constructor(
    readonly reason: 'not_empty' | 'bad_json' | 'bad_row' | 'broken_chain' | 'duplicate_id',
    message: string,
    readonly line?: number,
    readonly seq?: number,
  ) {
    super(message);
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
