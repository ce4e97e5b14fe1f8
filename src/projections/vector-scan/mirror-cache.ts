import type Database from 'better-sqlite3';
import { Vec0ChunkReader } from '../vec0/chunk-reader.ts';
import { ScopeMirror, type ScanHit } from './scope-mirror.ts';

export interface MirrorCacheOptions {
  /** Memory for all mirrors together; the least recently searched go first. */
  bytes: number;
  /** 'background': a scope loads a slice per event-loop turn, searched in vec0 meanwhile; 'inline': at once. */
  load: 'background' | 'inline';
  /** vec0 chunks (64 vectors each) read per turn when loading in the background. */
  sliceChunks: number;
}

interface Entry {
  mirror: ScopeMirror;
  ready: boolean;
  loaded: Promise<void>;
}

/** Rows a new mirror has room for beyond the scope's put count, so the next puts do not grow it at once. */
const HEADROOM = 64;

/**
 * The in-memory copies of big vec0 scopes (see ScopeMirror), keyed by (vec0 table, scope): loaded from
 * vec0 on demand, kept in step by the VectorIndex's writes, least recently searched evicted beyond the
 * byte budget. A cache in the strict sense: dropping any or all of it changes speed, never answers.
 */
export class MirrorCache {
  /** Least recently searched first (Map order). */
  private readonly entries = new Map<string, Entry>();
  /** Scopes whose mirror alone exceeded the budget: searched in vec0 until the cache is rebuilt. */
  private readonly tooBig = new Set<string>();

  constructor(
    private readonly db: Database.Database,
    private readonly opts: MirrorCacheOptions,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The `n` nearest rows from the scope's mirror if it is loaded; otherwise starts loading it (unless it
   * did not fit the budget) and returns undefined, so the caller searches vec0 this time.
   */
  search(table: string, scope: string, dims: number, puts: number, vector: Float32Array, n: number): ScanHit[] | undefined {
    const key = keyOf(table, scope);
    let entry = this.entries.get(key);
    if (!entry) {
      this.load(table, scope, dims, puts);
      entry = this.entries.get(key); // loaded already when inline (or small)
    }
    if (!entry?.ready) return undefined;
    this.entries.delete(key); // most recently used goes last
    this.entries.set(key, entry);
    return entry.mirror.search(vector, n);
  }

  /** A vec0 write put the rowid in this scope and took it out of any other of the table: so does this. */
  put(table: string, scope: string, rowid: number, vector: Float32Array): void {
    const prefix = `${table}\u0000`;
    for (const [key, { mirror }] of this.entries) {
      if (!key.startsWith(prefix)) continue;
      if (key === prefix + scope) mirror.set(rowid, vector);
      else mirror.delete(rowid);
    }
  }

  remove(tables: (table: string) => boolean, rowid: number): void {
    for (const [key, { mirror }] of this.entries) if (tables(key.slice(0, key.indexOf('\u0000')))) mirror.delete(rowid);
  }

  clear(): void {
    this.entries.clear();
  }

  dropTable(table: string): void {
    for (const set of [this.entries, this.tooBig]) for (const key of set.keys()) if (key.startsWith(`${table}\u0000`)) set.delete(key);
  }

  /** Starts loading the given scopes (biggest first is the caller's choice), as many as the budget holds. */
  warm(scopes: readonly { table: string; scope: string; dims: number; puts: number }[]): { table: string; scope: string }[] {
    let budget = this.opts.bytes;
    const started: { table: string; scope: string }[] = [];
    for (const s of scopes) {
      const bytes = ScopeMirror.bytesFor(s.dims, s.puts + HEADROOM);
      if (bytes > budget || this.entries.has(keyOf(s.table, s.scope))) continue;
      budget -= bytes;
      this.load(s.table, s.scope, s.dims, s.puts);
      started.push({ table: s.table, scope: s.scope });
    }
    return started;
  }

  state(table: string, scope: string): 'loaded' | 'loading' | 'none' {
    const entry = this.entries.get(keyOf(table, scope));
    return !entry ? 'none' : entry.ready ? 'loaded' : 'loading';
  }

  /** Resolves once the scope's mirror is loaded (or cannot be): for benchmarks and tests. */
  loaded(table: string, scope: string): Promise<void> {
    return this.entries.get(keyOf(table, scope))?.loaded ?? Promise.resolve();
  }

  /**
   * Reads the scope from vec0's chunk tables, a slice per event-loop turn ('background') or all at once
   * ('inline'). Writes in between reach the mirror through put/remove, so a slice skips rowids it already has.
   */
  private load(table: string, scope: string, dims: number, puts: number): void {
    const key = keyOf(table, scope);
    if (this.tooBig.has(key)) return;
    const mirror = new ScopeMirror(dims, puts + HEADROOM); // puts ≥ rows: no growing while loading
    const reader = new Vec0ChunkReader(this.db, table, dims);
    let done!: () => void;
    const entry: Entry = { mirror, ready: false, loaded: new Promise<void>((resolve) => (done = resolve)) };
    this.entries.set(key, entry);
    const step = (after: number) => {
      if (this.entries.get(key) !== entry || !this.db.open) return done(); // dropped meanwhile (rollback, reset, eviction) or closed
      const { rows, next } = reader.read(scope, after, this.opts.load === 'inline' ? Number.MAX_SAFE_INTEGER : this.opts.sliceChunks);
      for (const r of rows) if (!mirror.has(r.rowid)) mirror.set(r.rowid, r.vector);
      if (mirror.bytes > this.opts.bytes) {
        this.entries.delete(key);
        this.tooBig.add(key);
        return done();
      }
      if (next !== undefined) return void setImmediate(step, next);
      entry.ready = true;
      this.evictBeyondBudget(entry);
      done();
    };
    step(0);
  }

  private evictBeyondBudget(keep: Entry): void {
    let total = 0;
    for (const e of this.entries.values()) total += e.mirror.bytes;
    for (const [key, e] of this.entries) {
      if (total <= this.opts.bytes) break;
      if (e === keep || !e.ready) continue;
      this.entries.delete(key);
      total -= e.mirror.bytes;
    }
  }
}

const keyOf = (table: string, scope: string) => `${table}\u0000${scope}`;
