import type Database from 'better-sqlite3';

/** What a vector belongs to: a message (scoped by room), a knowledge chunk or a fact (scoped by agent). */
export type VectorKind = 'message' | 'chunk' | 'fact';

export interface VectorHit {
  rowid: number;
  /** Cosine distance (0 = same direction, 2 = opposite). */
  distance: number;
}

/**
 * The vec0 indexes, one table per (kind, dimension), created on demand: `vec_chunk_512`, `vec_message_384`…
 *
 * Why per dimension: an agent may switch embedders (384-d local model → 1536-d OpenAI). Vectors of the
 * old model are never dropped silently; they stay in their own table, and a query searches the table of
 * its own vector's dimension. Within one (kind, dimension) the latest vector of an item replaces the
 * previous one (two models of the same size are assumed to be a migration from one to the other).
 *
 * Each table has a `scope` partition key (room id for messages, agent id for chunks and facts): a
 * query only scans its own partition, which is both the access rule and what keeps KNN fast (see
 * bench/RESULTS-projections.md). Search is exact (float, cosine), so recall is 1.
 */
/**
 * Vectors per vec0 chunk. The default (1024) allocates a 2 MB blob per partition at its first vector
 * (512 dims): with one partition per room that made rebuilds ~60× slower (measured: 5k vectors over
 * 100 partitions, 2.9 s → 46 ms) with no gain in KNN speed. See bench/RESULTS-projections.md.
 */
const CHUNK_SIZE = 64;

export class VectorIndex {
  private readonly pending = new Map<string, { kind: VectorKind; rowid: number; scope: string; vector: Float32Array }>();
  private readonly known = new Map<string, { kind: VectorKind; dims: number }>();
  private readonly stmts = new Map<string, { upsertDelete: Database.Statement; insert: Database.Statement; del: Database.Statement; knn: Database.Statement }>();

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS vector_tables (name TEXT PRIMARY KEY, kind TEXT NOT NULL, dims INTEGER NOT NULL)`);
    for (const r of db.prepare('SELECT name, kind, dims FROM vector_tables').all() as { name: string; kind: VectorKind; dims: number }[]) {
      this.known.set(r.name, { kind: r.kind, dims: r.dims });
    }
  }

  static tableName(kind: VectorKind, dims: number): string {
    return `vec_${kind}_${dims}`;
  }

  /** Every vec table of a kind (or all), in a stable order. */
  tables(kind?: VectorKind): { name: string; kind: VectorKind; dims: number }[] {
    return [...this.known.entries()]
      .filter(([, v]) => !kind || v.kind === kind)
      .map(([name, v]) => ({ name, ...v }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private ensure(kind: VectorKind, dims: number) {
    const name = VectorIndex.tableName(kind, dims);
    let s = this.stmts.get(name);
    if (s) return s;
    if (!this.known.has(name)) {
      this.db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING vec0(scope text partition key, embedding float[${dims}] distance_metric=cosine, chunk_size=${CHUNK_SIZE})`);
      this.db.prepare('INSERT OR IGNORE INTO vector_tables (name, kind, dims) VALUES (?, ?, ?)').run(name, kind, dims);
      this.known.set(name, { kind, dims });
    }
    s = {
      upsertDelete: this.db.prepare(`DELETE FROM ${name} WHERE rowid = ?`),
      insert: this.db.prepare(`INSERT INTO ${name} (rowid, scope, embedding) VALUES (?, ?, ?)`),
      del: this.db.prepare(`DELETE FROM ${name} WHERE rowid = ?`),
      knn: this.db.prepare(`SELECT rowid, distance FROM ${name} WHERE embedding MATCH ? AND k = ? AND scope = ?`),
    };
    this.stmts.set(name, s);
    return s;
  }

  /**
   * Queues a vector (latest put of a rowid wins). Queued vectors are written by `flush()`, which the
   * projector calls before committing each batch: writing them grouped by partition is several times
   * faster than in log order, because vec0 keeps a chunk per partition and switching chunks is costly.
   */
  put(kind: VectorKind, rowid: number, scope: string, vector: Float32Array): void {
    const name = VectorIndex.tableName(kind, vector.length);
    this.pending.delete(`${name}\u0000${rowid}`);
    this.pending.set(`${name}\u0000${rowid}`, { kind, rowid, scope, vector });
  }

  /** Writes the queued vectors, grouped by table and partition. */
  flush(): void {
    if (this.pending.size === 0) return;
    const items = [...this.pending.values()];
    this.pending.clear();
    items.sort((a, b) => a.vector.length - b.vector.length || a.kind.localeCompare(b.kind) || (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0) || a.rowid - b.rowid);
    for (const it of items) {
      const s = this.ensure(it.kind, it.vector.length);
      const id = BigInt(it.rowid); // vec0 refuses REAL rowids; better-sqlite3 binds JS numbers as REAL
      s.upsertDelete.run(id);
      s.insert.run(id, it.scope, bytes(it.vector));
    }
  }

  /** Drops queued writes (the batch transaction was rolled back). */
  discard(): void {
    this.pending.clear();
  }

  /** Removes an item's vectors from every table of its kind (queued writes go first, to keep log order). */
  remove(kind: VectorKind, rowid: number): void {
    this.flush();
    for (const t of this.tables(kind)) this.ensure(kind, t.dims).del.run(BigInt(rowid));
  }

  knn(kind: VectorKind, scope: string, vector: Float32Array, k: number): VectorHit[] {
    if (!this.known.has(VectorIndex.tableName(kind, vector.length)) || k <= 0) return [];
    const s = this.ensure(kind, vector.length);
    return (s.knn.all(bytes(vector), Math.min(k, 4096), scope) as { rowid: number | bigint; distance: number }[]).map((r) => ({
      rowid: Number(r.rowid),
      distance: r.distance,
    }));
  }

  /** Drops every vec table of a kind (projection reset). */
  drop(kind: VectorKind): void {
    for (const t of this.tables(kind)) {
      this.db.exec(`DROP TABLE IF EXISTS ${t.name}`);
      this.db.prepare('DELETE FROM vector_tables WHERE name = ?').run(t.name);
      this.known.delete(t.name);
      this.stmts.delete(t.name);
    }
  }
}

export function bytes(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
