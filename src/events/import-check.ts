import { ImportRefusedError } from './errors.ts';
import { ChainVerifier, type StoredRow } from './verify.ts';

/**
 * What a raw import (`importRaw`: `chronicle events import`, the move between SQLite and PostgreSQL)
 * checks of each row before its store writes it: one home, so both stores accept and refuse exactly
 * the same files. Rows come in seq order; the first problem throws ImportRefusedError and the store
 * rolls its one transaction back, so nothing is written.
 *
 *   broken_chain   the row does not continue the hash chain (edited, missing or reordered rows);
 *   duplicate_id   an id already imported (possible only when the chain was recomputed around it).
 */
export class ImportRowChecker {
  private readonly chain = new ChainVerifier();
  private readonly ids = new Set<string>();

  /** Rows accepted so far. */
  get checked(): number {
    return this.chain.checked;
  }

  /** Throws ImportRefusedError (naming the seq) unless the row may be written. */
  check(row: StoredRow): void {
    const problem = this.chain.check(row);
    if (problem) throw new ImportRefusedError('broken_chain', `seq ${row.seq}: ${problem.kind}: ${problem.detail}`, undefined, row.seq);
    if (this.ids.has(row.id)) throw new ImportRefusedError('duplicate_id', `seq ${row.seq}: duplicate event id ${row.id}`, undefined, row.seq);
    this.ids.add(row.id);
  }
}
