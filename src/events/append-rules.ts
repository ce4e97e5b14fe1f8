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
  if (typeof stream !== 'string' || !VALID_STREAM.test(stream)) {
    throw new InvalidEventError('(envelope)', [`stream name "${stream}" must match ${VALID_STREAM}`]);
  }
  if (!Array.isArray(events) || events.length === 0) throw new InvalidEventError('(envelope)', ['append needs at least one event']);
  return events.map((e) => {
    if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > 200) {
      throw new InvalidEventError(String(e.type), ['id must be a non-empty string of at most 200 characters']);
    }
    // PostgreSQL text cannot hold NUL: refused on every store, so any log can move to any other.
    if (e.id.includes('\0')) throw new InvalidEventError(String(e.type), ['id must not contain the NUL character']);
    if (!registry.has(e.type)) throw new InvalidEventError(String(e.type), [`unknown event type "${e.type}"`]);
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
