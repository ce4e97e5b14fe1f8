import { chainHash, GENESIS_HASH } from '../../../src/events/hash.ts';
import type { StoredRow } from '../../../src/events/verify.ts';

/** The rows of an NDJSON export (`chronicle events export`), in file order. */
export const rowsOf = (ndjson: string): StoredRow[] =>
  ndjson
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as StoredRow);

/**
 * Rows as NDJSON with their hashes recomputed in order — what anyone editing an export by hand can
 * do (a SHA-256 chain has no secret), so a chain that verifies proves nothing about the payloads.
 */
export function rechain(rows: StoredRow[]): string {
  let prev = GENESIS_HASH;
  const out: string[] = [];
  for (const r of rows) {
    prev = chainHash(prev, { seq: r.seq, id: r.id, stream: r.stream, version: r.version, type: r.type, dataJson: r.data, metaJson: r.meta });
    out.push(JSON.stringify({ seq: r.seq, id: r.id, stream: r.stream, version: r.version, type: r.type, data: r.data, meta: r.meta, hash: prev }));
  }
  return out.join('\n') + '\n';
}
