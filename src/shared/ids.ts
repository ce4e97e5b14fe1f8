import { createHash, randomUUID } from 'node:crypto';

/** A fresh random id for things a user or command creates. */
export const newId = (): string => randomUUID();

/**
 * A deterministic UUID-shaped id derived from its parts, for events derived from other events (the
 * reply of agent A to message M is always the same id), so a retry or a restart after a crash can
 * never write the same fact twice: the log refuses the duplicate id.
 */
export function derivedId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  // Version nibble 5 and the RFC 4122 variant, so it looks like (and sorts like) any other UUID.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const sha256Hex = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');
