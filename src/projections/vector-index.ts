import type Database from 'better-sqlite3';
import { QuantizedVector } from '../events/quantized-vector.ts';
import { int8Bytes, storedVector } from './vec0/int8.ts';
import { MirrorCache } from './vector-scan/mirror-cache.ts';
import { Vec0BulkWriter } from './vec0/bulk-writer.ts';
import { VectorStage } from './vec0/staging.ts';

/** What a vector belongs to: a message (scoped by room), a knowledge chunk, a fact or a plugin's memory (scoped by agent). */
export type VectorKind = 'message' | 'chunk' | 'fact' | 'memory';

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
 * query only scans its own partition, which is both the access rule and what keeps KNN fast for the
 * usual small scope (see bench/RESULTS-projections.md). Search there is exact cosine over int8 codes:
 * a vector is kept as the int8 codes the log already stores (QuantizedVector; a float vector from an
 * older log is quantized the same deterministic way), a quarter of float32's bytes. Cosine ignores each
 * vector's scale, so the codes alone give the distances of the dequantized floats; the query is
 * quantized too (int8 against int8 is what vec0 computes), measured in bench/RESULTS-vectors.md.
 *
 * A scope that grows big (an agent with a 100k-chunk knowledge base: sqlite-vec scans it in 50–150 ms) is
 * searched in memory instead, once it has had `mirrorAt` puts: a ScopeMirror (vector-scan/) holds its
 * vectors as int8 codes scanned with WebAssembly SIMD plus floats for an exact re-rank. Mirrors are a
 * cache: loaded from vec0 on a scope's first search, kept in step by every write below, dropped when a
 * batch rolls back, evicted least-recently-used beyond `mirrorBytes`. Nothing about them is stored, so
 * the tables are the same whether or not a mirror existed.
 */
/**
 * Vectors per vec0 chunk. The default (1024) allocates a 2 MB blob per partition at its first vector
 * (512 dims): with one partition per room that made rebuilds ~60× slower (measured: 5k vectors over
 * 100 partitions, 2.9 s → 46 ms) with no gain in KNN speed. See bench/RESULTS-projections.md.
 */
const CHUNK_SIZE = 64;

export interface VectorIndexOptions {
  /** The put count (replacements included) from which a scope is searched in memory. */
  mirrorAt?: number;
  /** Memory for in-memory scopes, all together; the least recently searched go first. */
  mirrorBytes?: number;
  /** 'background': a scope loads a slice per event-loop turn, searched in vec0 meanwhile; 'inline': at once. */
  mirrorLoad?: 'background' | 'inline';
  /** vec0 chunks (64 vectors each) read per turn when loading in the background. */
  mirrorSliceChunks?: number;
  /** Vector bytes a bulk replay holds in memory before writing them out (see beginBulk). */
  bulkBytes?: number;
}

type Statements = { upsertDelete: Database.Statement; insert: Database.Statement; del: Database.Statement; knn: Database.Statement };

export class VectorIndex {
  private readonly pending = new Map<string, { kind: VectorKind; rowid: number; scope: string; vector: Float32Array }>();
  /** Puts per `table\0scope` (loaded lazily, written at flush). */
  private readonly puts = new Map<string, number>();
  private readonly dirtyPuts = new Set<string>();
  /** Big scopes searched in memory (see the class comment). */
  private readonly mirrors: MirrorCache;
  private readonly opts: Required<VectorIndexOptions>;
  private readonly getPuts: Database.Statement;
  private readonly savePuts: Database.Statement;
  private readonly known = new Map<string, { kind: VectorKind; dims: number }>();
  private readonly stmts = new Map<string, Statements>();
  /** Between beginBulk and endBulk: vectors are staged in memory instead of written to vec0. */
  private bulk = false;
  private readonly stage = new VectorStage();
  /** Per table, the rowids a bulk replay already wrote to vec0 (a later put of one replaces it the usual way). */
  private readonly bulkWritten = new Map<string, Set<number>>();
  /** Tables that were not empty when the bulk replay began: their staged rows are written the ordinary way. */
  private readonly bulkOrdinary = new Set<string>();
  /** A bulk replay was under way when this read DB was last closed: its projections must be replayed again. */
  readonly bulkInterrupted: boolean;

  constructor(
    private readonly db: Database.Database,
    opts: VectorIndexOptions = {},
  ) {
    this.opts = { mirrorAt: 1_024, mirrorBytes: 1024 * 1024 * 1024, mirrorLoad: 'background', mirrorSliceChunks: 64, bulkBytes: 256 * 1024 * 1024 };
    // Not a spread: an option passed as undefined (no setting) must keep its default.
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) (this.opts as Record<string, unknown>)[k] = v;
    this.mirrors = new MirrorCache(db, { bytes: this.opts.mirrorBytes, load: this.opts.mirrorLoad, sliceChunks: this.opts.mirrorSliceChunks });
    db.exec(`CREATE TABLE IF NOT EXISTS vector_tables (name TEXT PRIMARY KEY, kind TEXT NOT NULL, dims INTEGER NOT NULL)`);
    db.exec(`CREATE TABLE IF NOT EXISTS vector_scope_puts (name TEXT NOT NULL, scope TEXT NOT NULL, puts INTEGER NOT NULL, PRIMARY KEY (name, scope))`);
    db.exec(`DROP TABLE IF EXISTS vector_cells`); // the k-means cells of projection version 3
    this.getPuts = db.prepare('SELECT puts FROM vector_scope_puts WHERE name = ? AND scope = ?').pluck();
    this.savePuts = db.prepare(
      'INSERT INTO vector_scope_puts (name, scope, puts) VALUES (?, ?, ?) ON CONFLICT (name, scope) DO UPDATE SET puts = excluded.puts',
    );
    for (const r of db.prepare('SELECT name, kind, dims FROM vector_tables').all() as { name: string; kind: VectorKind; dims: number }[]) {
      this.known.set(r.name, { kind: r.kind, dims: r.dims });
    }
    db.exec(`CREATE TABLE IF NOT EXISTS vector_bulk_replay (started INTEGER NOT NULL)`);
    this.bulkInterrupted = db.prepare('SELECT 1 FROM vector_bulk_replay').get() !== undefined;
  }

  /**
   * A replay from scratch (empty vec tables): until endBulk, vectors are held in memory and written into
   * vec0 partition by partition in whole chunks (vec0/bulk-writer.ts) — at the end, or whenever more than
   * `bulkBytes` are held. An INSERT into vec0 costs ~40–55 µs a vector; this a few µs. The read DB is
   * marked until endBulk: checkpoints committed meanwhile claim vectors that are only in memory, so a
   * crash before the end must start the replay over (`bulkInterrupted`, acted on by the Projector).
   */
  beginBulk(): void {
    this.flush();
    this.db.prepare('INSERT INTO vector_bulk_replay (started) VALUES (?)').run(Date.now());
    // Tables that already hold rows (projections that were not reset, only catching up) take the
    // ordinary path: a staged row may replace one of theirs.
    this.bulkOrdinary.clear();
    for (const name of this.known.keys()) if (this.db.prepare(`SELECT 1 FROM "${name}_rowids" LIMIT 1`).get() !== undefined) this.bulkOrdinary.add(name);
    this.bulk = true;
    this.mirrors.clear();
  }

  /** Writes what is staged into vec0 and clears the mark, in one transaction (see beginBulk). */
  endBulk(): void {
    this.db.transaction(() => {
      this.flush();
      this.writeStage();
      this.db.exec('DELETE FROM vector_bulk_replay');
    })();
    this.bulk = false;
    this.bulkWritten.clear();
    this.mirrors.clear();
  }

  /** Forgets an interrupted bulk replay (the Projector has dropped every projection). */
  clearBulkMark(): void {
    this.db.exec('DELETE FROM vector_bulk_replay');
  }

  private writeStage(): void {
    for (const { name, kind, dims, partitions } of this.stage.drain()) {
      if (partitions.length === 0) continue; // every row staged for it was removed again (its table exists since the first put)
      let written = this.bulkWritten.get(name);
      if (!written) this.bulkWritten.set(name, (written = new Set()));
      const fresh: typeof partitions = [];
      const ordinary = this.bulkOrdinary.has(name);
      for (const { scope, rows } of partitions) {
        const rowsNew = ordinary ? [] : rows.filter((r) => !written.has(r.rowid));
        if (rowsNew.length) fresh.push({ scope, rows: rowsNew });
        for (const r of rows) {
          if (ordinary || written.has(r.rowid))
            this.pending.set(`${name}\u0000${r.rowid}`, { kind: kind as VectorKind, rowid: r.rowid, scope, vector: r.vector });
          else written.add(r.rowid);
        }
      }
      new Vec0BulkWriter(this.db, name, dims, CHUNK_SIZE).write(fresh);
    }
    // Replacements of rows an earlier part already wrote, and tables that had rows: the ordinary path.
    const wasBulk = this.bulk;
    this.bulk = false;
    this.flush();
    this.bulk = wasBulk;
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

  private ensure(kind: VectorKind, dims: number): Statements {
    const name = VectorIndex.tableName(kind, dims);
    let s = this.stmts.get(name);
    if (s) return s;
    if (!this.known.has(name)) {
      this.db.exec(
        `CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING vec0(scope text partition key, embedding int8[${dims}] distance_metric=cosine, chunk_size=${CHUNK_SIZE})`,
      );
      this.db.prepare('INSERT OR IGNORE INTO vector_tables (name, kind, dims) VALUES (?, ?, ?)').run(name, kind, dims);
      this.known.set(name, { kind, dims });
    }
    s = {
      upsertDelete: this.db.prepare(`DELETE FROM ${name} WHERE rowid = ?`),
      insert: this.db.prepare(`INSERT INTO ${name} (rowid, scope, embedding) VALUES (?, ?, vec_int8(?))`),
      del: this.db.prepare(`DELETE FROM ${name} WHERE rowid = ?`),
      knn: this.db.prepare(`SELECT rowid, distance FROM ${name} WHERE embedding MATCH vec_int8(?) AND k = ? AND scope = ?`),
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
    this.puts.set(key, this.putsOf(name, scope) + 1);
    this.dirtyPuts.add(key);
    this.pending.delete(`${name}\u0000${rowid}`);
    this.pending.set(`${name}\u0000${rowid}`, { kind, rowid, scope, vector: QuantizedVector.quantize(vector) });
  }

  private putsOf(name: string, scope: string): number {
    const key = `${name}\u0000${scope}`;
    let n = this.puts.get(key);
    if (n === undefined) {
      n = (this.getPuts.get(name, scope) as number | undefined) ?? 0;
      this.puts.set(key, n);
    }
    return n;
  }

  /** Writes the queued vectors, grouped by table and partition, to vec0 and to any mirror of their scope. */
  flush(): void {
    for (const key of this.dirtyPuts) {
      const [name, scope] = key.split('\u0000');
      this.savePuts.run(name, scope, this.puts.get(key));
    }
    this.dirtyPuts.clear();
    if (this.pending.size === 0) return;
    const items = [...this.pending.values()];
    this.pending.clear();
    if (this.bulk) {
      for (const it of items) {
        this.ensure(it.kind, it.vector.length); // the table exists from its first put on, as without staging
        this.stage.put(VectorIndex.tableName(it.kind, it.vector.length), it.kind, it.rowid, it.scope, it.vector);
      }
      if (this.stage.bytes > this.opts.bulkBytes) this.writeStage();
      return;
    }
    items.sort(
      (a, b) => a.vector.length - b.vector.length || a.kind.localeCompare(b.kind) || (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0) || a.rowid - b.rowid,
    );
    for (const it of items) {
      const s = this.ensure(it.kind, it.vector.length);
      const id = BigInt(it.rowid); // vec0 refuses REAL rowids; better-sqlite3 binds JS numbers as REAL
      s.upsertDelete.run(id);
      s.insert.run(id, it.scope, int8Bytes(it.vector));
      if (this.mirrors.size > 0) this.mirrors.put(VectorIndex.tableName(it.kind, it.vector.length), it.scope, it.rowid, storedVector(it.vector));
    }
  }

  /** Drops queued writes and every mirror (the batch transaction was rolled back; mirrors reload). */
  discard(): void {
    this.pending.clear();
    this.puts.clear();
    this.dirtyPuts.clear();
    this.mirrors.clear();
  }

  /** Removes an item's vectors from every table of its kind (queued writes go first, to keep log order). */
  remove(kind: VectorKind, rowid: number): void {
    this.flush();
    if (this.bulk) {
      this.stage.remove(kind, rowid);
      for (const [name, written] of this.bulkWritten) if (this.known.get(name)?.kind === kind) written.delete(rowid);
    }
    for (const t of this.tables(kind)) this.ensure(kind, t.dims).del.run(BigInt(rowid));
    this.mirrors.remove((table) => this.known.get(table)?.kind === kind, rowid);
  }

  knn(kind: VectorKind, scope: string, vector: Float32Array, k: number): VectorHit[] {
    const name = VectorIndex.tableName(kind, vector.length);
    if (!this.known.has(name) || k <= 0) return [];
    const n = Math.min(k, 4096);
    const puts = this.putsOf(name, scope);
    // The mirror gets the query as vec0 does (its int8 codes): both paths rank by the same distances.
    const inMemory = puts >= this.opts.mirrorAt ? this.mirrors.search(name, scope, vector.length, puts, storedVector(vector), n) : undefined;
    if (inMemory) return inMemory;
    const s = this.ensure(kind, vector.length);
    return (s.knn.all(int8Bytes(vector), n, scope) as { rowid: number | bigint; distance: number }[]).map((r) => ({
      rowid: Number(r.rowid),
      distance: r.distance,
    }));
  }

  /** Resolves once the scope's in-memory copy is loaded (or cannot be): for benchmarks and tests. */
  mirrorLoaded(kind: VectorKind, scope: string, dims: number): Promise<void> {
    return this.mirrors.loaded(VectorIndex.tableName(kind, dims), scope);
  }

  /** Whether a scope is searched in memory ('loaded'), being loaded, or searched in vec0 ('none'). */
  mirrorState(kind: VectorKind, scope: string, dims: number): 'loaded' | 'loading' | 'none' {
    return this.mirrors.state(VectorIndex.tableName(kind, dims), scope);
  }

  /**
   * Starts loading the biggest scopes into memory in the background, as many as the budget holds, so
   * that the first searches after a restart do not all go to vec0. Returns the scopes started.
   */
  warm(): { name: string; scope: string }[] {
    const big = this.db.prepare('SELECT name, scope, puts FROM vector_scope_puts WHERE puts >= ? ORDER BY puts DESC, name, scope').all(this.opts.mirrorAt) as {
      name: string;
      scope: string;
      puts: number;
    }[];
    const known = big.flatMap(({ name, scope, puts }) => {
      const t = this.known.get(name);
      return t ? [{ table: name, scope, dims: t.dims, puts }] : [];
    });
    return this.mirrors.warm(known).map(({ table, scope }) => ({ name: table, scope }));
  }

  /** Drops every vec table of a kind (projection reset). */
  drop(kind: VectorKind): void {
    for (const t of this.tables(kind)) {
      this.db.exec(`DROP TABLE IF EXISTS ${t.name}`);
      this.db.prepare('DELETE FROM vector_tables WHERE name = ?').run(t.name);
      this.db.prepare('DELETE FROM vector_scope_puts WHERE name = ?').run(t.name);
      this.known.delete(t.name);
      this.stmts.delete(t.name);
      for (const key of this.puts.keys()) if (key.startsWith(`${t.name}\u0000`)) this.puts.delete(key);
      this.mirrors.dropTable(t.name);
      for (const key of this.dirtyPuts) if (key.startsWith(`${t.name}\u0000`)) this.dirtyPuts.delete(key);
    }
  }
}

export function bytes(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
