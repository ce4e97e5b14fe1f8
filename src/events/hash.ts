import * as crypto from 'node:crypto';

// crypto.hash (one-shot, Node ≥ 20.12) is ~2.5× cheaper than createHash().update().digest() for
// these short inputs; the bytes hashed are the same either way.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex = oneShot ? (text: string) => oneShot('sha256', text, 'hex') : (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** Hash of the (absent) event before seq 1. */
export const GENESIS_HASH = '0'.repeat(64);

export interface HashedContent {
  seq: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  /** Encoded payload exactly as stored (codec.encodeData). */
  dataJson: string;
  /** Encoded meta exactly as stored. */
  metaJson: string;
}

/**
 * Chains each event to its predecessor. Fields are length-prefixed so that no two different events
 * can produce the same byte string by shifting text between fields.
 */
export function chainHash(prevHash: string, e: HashedContent): string {
  // One string, one update: the bytes are exactly prevHash then "<byteLength>:<part>" per field, but
  // a single native call instead of fifteen (measured: the hash was a visible share of append cost).
  let text = prevHash;
  for (const part of [String(e.seq), e.id, e.stream, String(e.version), e.type, e.dataJson, e.metaJson]) {
    text += `${Buffer.byteLength(part)}:${part}`;
  }
  return sha256Hex(text);
}
