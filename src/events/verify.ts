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

export type VerifyProblem = NonNullable<VerifyReport['problem']>;

/**
 * Checks rows one at a time in seq order, so a caller can verify while streaming (NDJSON import)
 * without holding the whole log. An edited row breaks its own hash, a deleted row leaves a seq gap,
 * a reordering breaks the chain.
 */
export class ChainVerifier {
  private prevHash = GENESIS_HASH;
  private expectedSeq = 1;
  private readonly versions = new Map<string, number>();
  private readonly resumed: boolean;
  checked = 0;

  /**
   * `after`: continue a chain already verified up to that seq and hash (a start checks only the tail).
   * A stream first met in the tail then takes its first version as given; the chain still covers it.
   */
  constructor(after?: { seq: number; hash: string }) {
    this.resumed = after !== undefined && after.seq > 0;
    if (after && after.seq > 0) {
      this.prevHash = after.hash;
      this.expectedSeq = after.seq + 1;
    }
  }

  /** Undefined when the row continues the chain; otherwise the problem (and the verifier stops advancing). */
  check(row: StoredRow): VerifyProblem | undefined {
    if (row.seq !== this.expectedSeq) {
      return { seq: row.seq, kind: 'seq_gap', detail: `expected seq ${this.expectedSeq}, found ${row.seq}` };
    }
    const known = this.versions.get(row.stream);
    const expectedVersion = known === undefined && this.resumed ? row.version : (known ?? 0) + 1;
    if (row.version !== expectedVersion) {
      return { seq: row.seq, kind: 'version_gap', detail: `stream ${row.stream}: expected version ${expectedVersion}, found ${row.version}` };
    }
    const hash = chainHash(this.prevHash, {
      seq: row.seq,
      id: row.id,
      stream: row.stream,
      version: row.version,
      type: row.type,
      dataJson: row.data,
      metaJson: row.meta,
    });
    if (hash !== row.hash) {
      return { seq: row.seq, kind: 'hash_mismatch', detail: `event ${row.id} does not match its hash: edited, or its predecessor was` };
    }
    this.versions.set(row.stream, row.version);
    this.prevHash = hash;
    this.expectedSeq += 1;
    this.checked += 1;
    return undefined;
  }
}

/** Walks the log in seq order and reports the first place where it is not what was written. */
export function verifyRows(rows: Iterable<StoredRow>): VerifyReport {
  const verifier = new ChainVerifier();
  for (const row of rows) {
    const problem = verifier.check(row);
    if (problem) return { ok: false, checked: verifier.checked, problem };
  }
  return { ok: true, checked: verifier.checked };
}
