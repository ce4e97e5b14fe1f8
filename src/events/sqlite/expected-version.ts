import type { ExpectedVersion } from '../envelope.ts';
import { InvalidEventError, WrongExpectedVersionError } from '../errors.ts';

export function checkExpectationShape(expected: ExpectedVersion): void {
  const ok =
    expected === 'any' || expected === 'no_stream' || expected === 'stream_exists' ||
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
