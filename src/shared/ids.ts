import * as crypto from 'node:crypto';
import { createHash, randomFillSync } from 'node:crypto';

const random = new Uint8Array(10);

/**
 * A fresh id for things a user or command creates: a UUIDv7 (RFC 9562) — 48 bits of milliseconds, then
 * random bits. Time-ordered ids keep the log's unique-id index append-mostly; random v4 ids made every
 * insert 2–3x slower (bench/RESULTS-event-log.md).
 */
export function newId(): string {
  const ms = Date.now();
  randomFillSync(random);
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const b = (i: number) => hex(random[i], 2);
  return (
    `${hex(Math.floor(ms / 0x10000), 8)}-${hex(ms % 0x10000, 4)}-` +
    `7${b(0).slice(1)}${b(1)}-${hex((random[2] & 0x3f) | 0x80, 2)}${b(3)}-` +
    `${b(4)}${b(5)}${b(6)}${b(7)}${b(8)}${b(9)}`
  );
}

/**
 * A deterministic UUID-shaped id derived from its parts, for events derived from other events (the
 * reply of agent A to message M is always the same id), so a retry or a restart after a crash can
 * never write the same fact twice: the log refuses the duplicate id.
 */
export function derivedId(...parts: string[]): string {
  // The one-shot hash below: a turn derives about eight ids, at half the CPU of a Hash object each.
  const h = sha256Hex(parts.join('\u0000'));
  // Version nibble 5 and the RFC 4122 variant, so it looks like (and sorts like) any other UUID.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// crypto.hash (one-shot, Node ≥ 20.12) is ~2.5× cheaper than createHash().update().digest() for short
// inputs such as the log's hash chain; the bytes hashed (strings as UTF-8) are the same either way.
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;

/** The one SHA-256 helper (hex): content hashes, the log's hash chain, snapshot checksums. */
export const sha256Hex = oneShot
  ? (text: string | Uint8Array): string => oneShot('sha256', text, 'hex')
  : (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');
