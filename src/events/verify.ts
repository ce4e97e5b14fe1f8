import { chainHash, GENESIS_HASH } from './hash.ts';
import type { VerifyReport } from './store.ts';

/** A log row as stored: payload and meta still in their encoded form, which is what the hash covers. */
export interface StoredRow {
  seq: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  data: string;
  meta: string;
  hash: string;
}

/**
 * Walks the log in seq order and reports the first place where it is not what was written: an edited
 * row breaks its own hash, a deleted row leaves a seq gap (and breaks the next hash), a reordering
 * breaks the chain. Shared by every store and by NDJSON import.
 */
export function verifyRows(rows: Iterable<StoredRow>): VerifyReport {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  const versions = new Map<string, number>();
  for (const row of rows) {
    if (row.seq !== expectedSeq) {
      return { ok: false, checked, problem: { seq: row.seq, kind: 'seq_gap', detail: `expected seq ${expectedSeq}, found ${row.seq}` } };
    }
    const expectedVersion = (versions.get(row.stream) ?? 0) + 1;
    if (row.version !== expectedVersion) {
      return {
        ok: false, checked,
        problem: { seq: row.seq, kind: 'version_gap', detail: `stream ${row.stream}: expected version ${expectedVersion}, found ${row.version}` },
      };
    }
    const hash = chainHash(prevHash, { seq: row.seq, id: row.id, stream: row.stream, version: row.version, type: row.type, dataJson: row.data, metaJson: row.meta });
    if (hash !== row.hash) {
      return { ok: false, checked, problem: { seq: row.seq, kind: 'hash_mismatch', detail: `event ${row.id} does not match its hash: edited, or its predecessor was` } };
    }
    versions.set(row.stream, row.version);
    prevHash = hash;
    expectedSeq += 1;
    checked += 1;
  }
  return { ok: true, checked };
}
