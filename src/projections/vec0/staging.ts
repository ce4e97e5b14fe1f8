export interface StagedRow {
  rowid: number;
  vector: Float32Array;
}

export interface StagedPartition {
  scope: string;
  rows: StagedRow[];
}

/**
 * The vectors of a rebuild in progress, held in memory until they are written into vec0 in bulk
 * (partition by partition, whole chunks: see bulk-writer.ts).
 *
 * Why memory and not a table: staging them in SQLite wrote every vector twice (measured: the rebuild got
 * slower, not faster). The vectors are the decoded events' own arrays, so holding them costs no copy;
 * the VectorIndex writes the stage out whenever it passes a byte budget, and marks the read DB while a
 * bulk replay is under way so that a crash before the end is noticed (the replay is started over).
 */
export class VectorStage {
  private readonly tables = new Map<string, { kind: string; rows: Map<number, { scope: string; vector: Float32Array }> }>();
  private size = 0;

  /** Vector bytes held. */
  get bytes(): number {
    return this.size;
  }

  /** A later put of the same (table, rowid) replaces the earlier one, as in vec0. */
  put(name: string, kind: string, rowid: number, scope: string, vector: Float32Array): void {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = { kind, rows: new Map() }));
    const old = t.rows.get(rowid);
    if (old) this.size -= old.vector.byteLength;
    t.rows.set(rowid, { scope, vector });
    this.size += vector.byteLength;
  }

  remove(kind: string, rowid: number): void {
    for (const t of this.tables.values()) {
      if (t.kind !== kind) continue;
      const old = t.rows.get(rowid);
      if (old) this.size -= old.vector.byteLength;
      t.rows.delete(rowid);
    }
  }

  /** Every staged table with its rows grouped by partition (partitions and rows in ascending order); empties the stage. */
  drain(): { name: string; kind: string; dims: number; partitions: StagedPartition[] }[] {
    const out = [...this.tables].map(([name, t]) => {
      const byScope = new Map<string, StagedRow[]>();
      let dims = 0;
      for (const [rowid, { scope, vector }] of t.rows) {
        let rows = byScope.get(scope);
        if (!rows) byScope.set(scope, (rows = []));
        rows.push({ rowid, vector });
        dims = vector.length;
      }
      const partitions = [...byScope]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([scope, rows]) => ({ scope, rows: rows.sort((a, b) => a.rowid - b.rowid) }));
      return { name, kind: t.kind, dims, partitions };
    });
    this.tables.clear();
    this.size = 0;
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }
}
