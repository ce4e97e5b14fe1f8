import type { EventMeta, ExpectedVersion, NewEvent } from './envelope.ts';
import { InvalidEventError, WrongExpectedVersionError } from './errors.ts';
import { encodeData } from './codec.ts';
import type { SchemaRegistry } from './schema-registry.ts';

/**
 * What every store checks before an append may join a group commit, and the optimistic-concurrency
 * rule: one home, so the SQLite and PostgreSQL stores accept and refuse exactly the same appends.
 */

export const VALID_STREAM = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/** An event validated and encoded, ready to be chained and written. */
export interface PreparedEvent {
  id: string;
  type: string;
  dataJson: string;
  meta: EventMeta;
  data: unknown;
}

/**
 * Checks synchronously so a bad append is refused before it can join a group commit. The envelope
 * (stream name, ids, a known type) is checked for every append; the payload is parsed with its schema
 * unless the append is trusted (AppendOptions.trusted: built by typed code from data already checked,
 * see docs/DESIGN.md "Where appends are validated"), which saves the parse on the hot path.
 */
export function prepareEvents(registry: SchemaRegistry, now: () => number, stream: string, events: readonly NewEvent[], trusted = false): PreparedEvent[] {
  const badStream = streamProblem(stream);
  if (badStream) throw new InvalidEventError('(envelope)', [badStream]);
  if (!Array.isArray(events) || events.length === 0) throw new InvalidEventError('(envelope)', ['append needs at least one event']);
  return events.map((e) => {
    const badId = idProblem(e.id);
    if (badId) throw new InvalidEventError(String(e.type), [badId]);
    if (!registry.has(e.type)) throw new InvalidEventError(String(e.type), [unknownType(e.type)]);
    if (trusted && (typeof e.data !== 'object' || e.data === null)) throw new InvalidEventError(e.type, ['(data): expected an object']);
    const data = trusted ? e.data : registry.validate(e.type, e.data);
    const meta: EventMeta = {
      ...e.meta,
      timestamp: e.meta?.timestamp ?? now(),
      schemaVersion: registry.versionOf(e.type),
    };
    return { id: e.id, type: e.type, data, dataJson: encodeData(data), meta };
  });
}

/** Why a stream name cannot be in the log (append and import refuse it), or undefined. */
export function streamProblem(stream: unknown): string | undefined {
  return typeof stream === 'string' && VALID_STREAM.test(stream) ? undefined : `stream name "${String(stream)}" must match ${VALID_STREAM}`;
}

/** Why an event id cannot be in the log (append and import refuse it), or undefined. */
export function idProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) return 'id must be a non-empty string of at most 200 characters';
  // PostgreSQL text cannot hold NUL: refused on every store, so any log can move to any other.
  if (id.includes('\0')) return 'id must not contain the NUL character';
  return undefined;
}

/**
 * A type the registry does not know is refused, at append and at import alike: the catalogue is
 * closed (a plugin's own records travel in the catalogue's types, e.g. memory.created), and a payload
 * no schema describes could not be validated, nor read by anything that folds the log.
 */
export const unknownType = (type: unknown): string => `unknown event type "${String(type)}"`;

export function checkExpectationShape(expected: ExpectedVersion): void {
  const ok =
    expected === 'any' ||
    expected === 'no_stream' ||
    expected === 'stream_exists' ||
    (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0);
  if (!ok) throw new InvalidEventError('(envelope)', [`expectedVersion ${String(expected)} is not 'any', 'no_stream', 'stream_exists' or a version >= 0`]);
}

export function expectationHolds(expected: ExpectedVersion, current: number, exists: boolean): boolean {
  return (
    expected === 'any' ||
    (expected === 'no_stream' && !exists) ||
    (expected === 'stream_exists' && exists) ||
    (typeof expected === 'number' && expected === current)
  );
}

export function checkExpected(stream: string, expected: ExpectedVersion, current: number, exists: boolean): void {
  if (!expectationHolds(expected, current, exists)) throw new WrongExpectedVersionError(stream, expected, current);
}
