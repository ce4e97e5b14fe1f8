import type Database from 'better-sqlite3';
import { nearestCells, trainCentroids } from './ivf.ts';

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
 *
 * A scope that grows big (an agent with a 100k-chunk knowledge base) is split into k-means cells: exact
 * search over one 100k partition is ~72 ms. When a scope's `trainAt`-th vector is put (counted in apply
 * order, replacements included), the queue is flushed, k-means is trained on the scope's rows as they
 * are at that point of the log, the centroids are stored in `vector_cells`, the rows move to partitions
 * `scope\u0001cell`, and every later vector goes to its nearest cell. Both the count and the rows at that
 * point are functions of the log prefix, never of page boundaries, so incremental = rebuild. A query
 * probes the `nprobe` nearest cells (approximate; see bench/RESULTS-vectors.md for recall).
 */
/**
 * Vectors per vec0 chunk. The default (1024) allocates a 2 MB blob per partition at its first vector
 * (512 dims): with one partition per room that made rebuilds ~60× slower (measured: 5k vectors over
 * 100 partitions, 2.9 s → 46 ms) with no gain in KNN speed. See bench/RESULTS-projections.md.
 */
const CHUNK_SIZE = 64;

export interface VectorIndexOptions {
  /** The put count of a scope at which it is split into cells. */
  trainAt?: number;
  cells?: number;
  /** Cells probed per query. */
  nprobe?: number;
  /** At most this many rows (evenly spaced by rowid) train k-means: bounds the stall. */
  maxSample?: number;
}

const CELL_SEPARATOR = '\u0001';

export class VectorIndex {
  private readonly pending = new Map<string, { kind: VectorKind; rowid: number; scope: string; vector: Float32Array }>();
  /** Puts per `table\0scope` (loaded lazily, written at flush). */
  private readonly puts = new Map<string, number>();
  private readonly dirtyPuts = new Set<string>();
  /** Centroids per `table\0scope`; null = not split. */
  private readonly cells = new Map<string, Float32Array[] | null>();
  private readonly opts: Required<VectorIndexOptions>;
  private readonly getPuts: Database.Statement;
  private readonly savePuts: Database.Statement;
  private readonly getCells: Database.Statement;
  private readonly known = new Map<string, { kind: VectorKind; dims: number }>();
  private readonly stmts = new Map<string, { upsertDelete: Database.Statement; insert: Database.Statement; del: Database.Statement; knn: Database.Statement }>();

  constructor(
    private readonly db: Database.Database,
    opts: VectorIndexOptions = {},
  ) {
    this.opts = { trainAt: 16_384, cells: 128, nprobe: 16, maxSample: 4_096, ...opts };
    db.exec(`CREATE TABLE IF NOT EXISTS vector_tables (name TEXT PRIMARY KEY, kind TEXT NOT NULL, dims INTEGER NOT NULL)`);
    db.exec(`CREATE TABLE IF NOT EXISTS vector_scope_puts (name TEXT NOT NULL, scope TEXT NOT NULL, puts INTEGER NOT NULL, PRIMARY KEY (name, scope))`);
    db.exec(`CREATE TABLE IF NOT EXISTS vector_cells (name TEXT NOT NULL, scope TEXT NOT NULL, cell INTEGER NOT NULL, centroid BLOB NOT NULL, PRIMARY KEY (name, scope, cell))`);
    this.getPuts = db.prepare('SELECT puts FROM vector_scope_puts WHERE name = ? AND scope = ?').pluck();
    this.savePuts = db.prepare('INSERT INTO vector_scope_puts (name, scope, puts) VALUES (?, ?, ?) ON CONFLICT (name, scope) DO UPDATE SET puts = excluded.puts');
    this.getCells = db.prepare('SELECT centroid FROM vector_cells WHERE name = ? AND scope = ? ORDER BY cell').pluck();
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
    const key = `${name}\u0000${scope}`;
    let n = this.puts.get(key);
    if (n === undefined) n = (this.getPuts.get(name, scope) as number | undefined) ?? 0;
    this.puts.set(key, ++n);
    this.dirtyPuts.add(key);
    if (n === this.opts.trainAt) this.split(kind, vector.length, scope);
    this.pending.delete(`${name}\u0000${rowid}`);
    this.pending.set(`${name}\u0000${rowid}`, { kind, rowid, scope, vector });
  }

  /** Writes the queued vectors, grouped by table and partition. */
  flush(): void {
    for (const key of this.dirtyPuts) {
      const [name, scope] = key.split('\u0000');
      this.savePuts.run(name, scope, this.puts.get(key));
    }
    this.dirtyPuts.clear();
    if (this.pending.size === 0) return;
    const items = [...this.pending.values()].map((it) => ({ ...it, partition: this.partitionOf(it.kind, it.scope, it.vector) }));
    this.pending.clear();
    items.sort((a, b) => a.vector.length - b.vector.length || a.kind.localeCompare(b.kind) || (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : 0) || a.rowid - b.rowid);
    for (const it of items) {
      const s = this.ensure(it.kind, it.vector.length);
      const id = BigInt(it.rowid); // vec0 refuses REAL rowids; better-sqlite3 binds JS numbers as REAL
      s.upsertDelete.run(id);
      s.insert.run(id, it.partition, bytes(it.vector));
    }
  }

  private centroidsOf(name: string, scope: string): Float32Array[] | null {
    const key = `${name}\u0000${scope}`;
    let c = this.cells.get(key);
    if (c === undefined) {
      const rows = this.getCells.all(name, scope) as Buffer[];
      c = rows.length ? rows.map((b) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))) : null;
      this.cells.set(key, c);
    }
    return c;
  }

  private partitionOf(kind: VectorKind, scope: string, vector: Float32Array): string {
    const c = this.centroidsOf(VectorIndex.tableName(kind, vector.length), scope);
    return c ? `${scope}${CELL_SEPARATOR}${nearestCells(c, vector, 1)[0]}` : scope;
  }

  /** Splits a scope into cells (see the class comment): the one stall, bounded by maxSample and cells. */
  private split(kind: VectorKind, dims: number, scope: string): void {
    this.flush();
    const name = VectorIndex.tableName(kind, dims);
    if (!this.known.has(name) || this.centroidsOf(name, scope)) return;
    const rows = (this.db.prepare(`SELECT rowid, embedding FROM ${name} WHERE scope = ? ORDER BY rowid`).all(scope) as { rowid: number | bigint; embedding: Buffer }[]).map((r) => ({
      rowid: BigInt(r.rowid),
      vector: new Float32Array(r.embedding.buffer.slice(r.embedding.byteOffset, r.embedding.byteOffset + r.embedding.byteLength)),
    }));
    if (rows.length < this.opts.cells) return;
    const step = Math.max(1, rows.length / this.opts.maxSample);
    const sample: Float32Array[] = [];
    for (let i = 0; Math.floor(i) < rows.length && sample.length < this.opts.maxSample; i += step) sample.push(rows[Math.floor(i)].vector);
    const centroids = trainCentroids(sample, { cells: this.opts.cells });
    const saveCell = this.db.prepare('INSERT INTO vector_cells (name, scope, cell, centroid) VALUES (?, ?, ?, ?)');
    centroids.forEach((c, i) => saveCell.run(name, scope, i, bytes(c)));
    this.cells.set(`${name}\u0000${scope}`, centroids);
    const s = this.ensure(kind, dims);
    const moved = rows.map((r) => ({ ...r, partition: `${scope}${CELL_SEPARATOR}${nearestCells(centroids, r.vector, 1)[0]}` }));
    moved.sort((a, b) => (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : 0) || (a.rowid < b.rowid ? -1 : 1));
    for (const r of moved) s.del.run(r.rowid);
    for (const r of moved) s.insert.run(r.rowid, r.partition, bytes(r.vector));
  }

  /** Drops queued writes (the batch transaction was rolled back). */
  discard(): void {
    this.pending.clear();
    this.puts.clear();
    this.dirtyPuts.clear();
    this.cells.clear();
  }

  /** Removes an item's vectors from every table of its kind (queued writes go first, to keep log order). */
  remove(kind: VectorKind, rowid: number): void {
    this.flush();
    for (const t of this.tables(kind)) this.ensure(kind, t.dims).del.run(BigInt(rowid));
  }

  knn(kind: VectorKind, scope: string, vector: Float32Array, k: number): VectorHit[] {
    if (!this.known.has(VectorIndex.tableName(kind, vector.length)) || k <= 0) return [];
    const s = this.ensure(kind, vector.length);
    const q = bytes(vector);
    const n = Math.min(k, 4096);
    const centroids = this.centroidsOf(VectorIndex.tableName(kind, vector.length), scope);
    const partitions = centroids ? nearestCells(centroids, vector, this.opts.nprobe).map((c) => `${scope}${CELL_SEPARATOR}${c}`) : [scope];
    const hits: VectorHit[] = [];
    for (const p of partitions) {
      for (const r of s.knn.all(q, n, p) as { rowid: number | bigint; distance: number }[]) hits.push({ rowid: Number(r.rowid), distance: r.distance });
    }
    if (partitions.length > 1) hits.sort((a, b) => a.distance - b.distance || a.rowid - b.rowid);
    return hits.length > n ? hits.slice(0, n) : hits;
  }

  /** Drops every vec table of a kind (projection reset). */
  drop(kind: VectorKind): void {
    for (const t of this.tables(kind)) {
      this.db.exec(`DROP TABLE IF EXISTS ${t.name}`);
      this.db.prepare('DELETE FROM vector_tables WHERE name = ?').run(t.name);
      this.db.prepare('DELETE FROM vector_scope_puts WHERE name = ?').run(t.name);
      this.db.prepare('DELETE FROM vector_cells WHERE name = ?').run(t.name);
      this.known.delete(t.name);
      this.stmts.delete(t.name);
      for (const m of [this.puts, this.cells]) for (const key of m.keys()) if (key.startsWith(`${t.name}\u0000`)) m.delete(key);
      for (const key of this.dirtyPuts) if (key.startsWith(`${t.name}\u0000`)) this.dirtyPuts.delete(key);
    }
  }
}

export function bytes(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
