import Database from 'better-sqlite3';
import fc from 'fast-check';
import * as sqliteVec from 'sqlite-vec';
import { describe, expect, it } from 'vitest';
import { VectorIndex, type VectorIndexOptions } from '../../src/projections/vector-index.js';
import { ScopeMirror } from '../../src/projections/vector-scan/scope-mirror.js';
import { Vec0ChunkReader } from '../../src/projections/vec0/chunk-reader.js';
import { clusteredPoints, seededRandom, unit } from '../support/clustered-vectors.ts';

/** Exact cosine ranking by brute force in float64: the reference for the mirror. */
function exactTop(rows: Map<number, Float32Array>, q: Float32Array, n: number): { id: number; d: number }[] {
  const cos = (a: Float32Array, b: Float32Array) => {
    let d = 0,
      na = 0,
      nb = 0;
    for (let i = 0; i < a.length; i++) (d += a[i] * b[i]), (na += a[i] * a[i]), (nb += b[i] * b[i]);
    return na && nb ? d / Math.sqrt(na * nb) : 0;
  };
  return [...rows]
    .map(([id, v]) => ({ id, d: 1 - cos(q, v) }))
    .sort((a, b) => a.d - b.d || a.id - b.id)
    .slice(0, n);
}

const vectorOf = (dims: number) =>
  fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: dims, maxLength: dims }).map((xs) => Float32Array.from(xs));

describe('ScopeMirror', () => {
  it('ranks exactly when every row is a candidate, through any sequence of sets, replacements and deletes', () => {
    const dims = 20; // not a multiple of the kernel's 32-byte step: rows are padded
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.record({ set: fc.integer({ min: 1, max: 40 }), vector: vectorOf(dims) }) },
      { weight: 2, arbitrary: fc.record({ del: fc.integer({ min: 1, max: 40 }) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), vectorOf(dims), (ops, q) => {
        const mirror = new ScopeMirror(dims, 4); // tiny capacity: every run grows it several times
        const truth = new Map<number, Float32Array>();
        for (const o of ops) {
          if ('set' in o) mirror.set(o.set, o.vector), truth.set(o.set, o.vector);
          else mirror.delete(o.del), truth.delete(o.del);
        }
        expect(mirror.size).toBe(truth.size);
        const got = mirror.search(q, 10, Infinity);
        const want = exactTop(truth, q, 10);
        // Float32 vs float64 sums may swap exact ties, so compare the distance at each rank.
        expect(got).toHaveLength(want.length);
        got.forEach((h, i) => expect(Math.abs(h.distance - want[i].d)).toBeLessThan(1e-4));
      }),
      { numRuns: 150 },
    );
  });

  it('keeps recall@10 >= 0.99 with the default candidate count on clustered 512-d data, and reports sqlite-vec style distances', () => {
    const dims = 512;
    const point = clusteredPoints({ dims, clusters: 50, sigma: 1 / Math.sqrt(dims), random: seededRandom(3) });
    const rows = new Map<number, Float32Array>();
    const mirror = new ScopeMirror(dims);
    for (let id = 1; id <= 5_000; id++) {
      const v = point();
      rows.set(id, v);
      mirror.set(id, v);
    }
    let recall = 0;
    for (let i = 0; i < 40; i++) {
      const q = point();
      const hits = mirror.search(q, 10);
      const want = exactTop(rows, q, 10).map((h) => h.id);
      recall += hits.filter((h) => want.includes(h.rowid)).length / 10;
      expect(hits[0].distance).toBeGreaterThanOrEqual(-1e-6);
      expect(hits[0].distance).toBeLessThanOrEqual(hits[9].distance);
    }
    expect(recall / 40).toBeGreaterThanOrEqual(0.99);
  });

  it('treats a zero vector as orthogonal to everything instead of dividing by zero', () => {
    const mirror = new ScopeMirror(4);
    mirror.set(1, new Float32Array(4));
    mirror.set(2, Float32Array.of(1, 0, 0, 0));
    expect(mirror.search(Float32Array.of(1, 0, 0, 0), 2).map((h) => [h.rowid, Math.round(h.distance * 1e6) / 1e6])).toEqual([
      [2, 0],
      [1, 1],
    ]);
    expect(mirror.search(new Float32Array(4), 2).every((h) => h.distance === 1)).toBe(true);
  });
});

const DIMS = 32;
type Op = { put: { rowid: number; scope: string; vector: Float32Array } } | { remove: number };

/** A big scope (well past mirrorAt), a small one, replacements, removals and rows moving between scopes. */
function log(): Op[] {
  const vec = clusteredPoints({ dims: DIMS, clusters: 12, sigma: 0.15, random: seededRandom(11) });
  const ops: Op[] = [];
  for (let i = 1; i <= 900; i++) {
    ops.push({ put: { rowid: i, scope: i % 7 === 0 ? 'small' : 'big', vector: vec() } });
    if (i % 50 === 0) ops.push({ remove: i - 10 });
    if (i % 37 === 0 && i > 100) ops.push({ put: { rowid: i - 100, scope: 'big', vector: vec() } }); // some come from 'small'
  }
  return ops;
}

function open() {
  const db = new Database(':memory:');
  sqliteVec.load(db);
  return db;
}

describe('VectorIndex in-memory scopes', () => {
  const queries = Array.from({ length: 25 }, (_, i) => {
    const { gauss } = seededRandom(500 + i);
    return unit(Float32Array.from({ length: DIMS }, gauss));
  });
  const exactOf = (db: Database.Database) => new VectorIndex(db, { mirrorAt: Infinity });
  const same = (a: { rowid: number; distance: number }[], b: { rowid: number; distance: number }[]) => {
    expect(a.map((h) => h.rowid)).toEqual(b.map((h) => h.rowid));
    a.forEach((h, i) => expect(h.distance).toBeCloseTo(b[i].distance, 5));
  };

  it('answers like sqlite-vec exact search while pages are written, searched, rolled back and the index reopened', () => {
    const db = open();
    const opts: VectorIndexOptions = { mirrorAt: 20, mirrorLoad: 'inline' };
    let vi = new VectorIndex(db, opts);
    const ops = log();
    let page = 0;
    for (let at = 0; at < ops.length; at += 37, page++) {
      if (page % 9 === 8) vi = new VectorIndex(db, opts); // a restart: mirrors start empty and reload
      if (page % 5 === 4) {
        // A batch that fails after writing rows every query would find first: they roll back, so must the mirrors.
        expect(() =>
          db.transaction(() => {
            queries.forEach((q, j) => vi.put('chunk', 100_000 + j, j % 2 ? 'big' : 'small', q));
            vi.flush();
            throw new Error('crash mid-batch');
          })(),
        ).toThrow('crash mid-batch');
        vi.discard();
      }
      db.transaction(() => {
        for (const op of ops.slice(at, at + 37)) {
          if ('put' in op) vi.put('chunk', op.put.rowid, op.put.scope, op.put.vector);
          else vi.remove('chunk', op.remove);
        }
        vi.flush();
      })();
      const exact = exactOf(db);
      for (const q of queries.slice(0, 4)) {
        same(vi.knn('chunk', 'big', q, 10), exact.knn('chunk', 'big', q, 10));
        same(vi.knn('chunk', 'small', q, 200), exact.knn('chunk', 'small', q, 200)); // every row: a stale one would show
      }
    }
    const exact = exactOf(db);
    for (const q of queries) same(vi.knn('chunk', 'big', q, 25), exact.knn('chunk', 'big', q, 25));
  });

  it('falls back to sqlite-vec when a scope does not fit the memory budget, and evicts the least recently searched', () => {
    const db = open();
    const vi = new VectorIndex(db, { mirrorAt: 10, mirrorBytes: 200 * 1024, mirrorLoad: 'inline' });
    const vec = clusteredPoints({ dims: DIMS, clusters: 4, sigma: 0.2, random: seededRandom(5) });
    db.transaction(() => {
      for (let i = 1; i <= 3_000; i++) vi.put('chunk', i, i <= 2_000 ? 'huge' : `s${i % 3}`, vec());
      vi.flush();
    })();
    const exact = exactOf(db);
    for (const q of queries) for (const scope of ['huge', 's0', 's1', 's2', 's0']) same(vi.knn('chunk', scope, q, 10), exact.knn('chunk', scope, q, 10));
  });

  it('loads a scope in the background a slice at a time, searching vec0 meanwhile, with writes landing between slices', async () => {
    const db = open();
    const vi = new VectorIndex(db, { mirrorAt: 10, mirrorSliceChunks: 1 });
    const ops = log();
    const apply = (slice: Op[]) =>
      db.transaction(() => {
        for (const op of slice) {
          if ('put' in op) vi.put('chunk', op.put.rowid, op.put.scope, op.put.vector);
          else vi.remove('chunk', op.remove);
        }
        vi.flush();
      })();
    apply(ops.slice(0, 600));
    const exact = exactOf(db);
    same(vi.knn('chunk', 'big', queries[0], 10), exact.knn('chunk', 'big', queries[0], 10)); // starts the load
    expect(vi.mirrorState('chunk', 'big', DIMS)).toBe('loading');
    let turns = 0;
    let loaded = false;
    const done = vi.mirrorLoaded('chunk', 'big', DIMS).then(() => (loaded = true));
    for (let at = 600; !loaded && at < ops.length; at += 7, turns++) {
      apply(ops.slice(at, at + 7)); // a write between two slices: moves, replacements and removals included
      await new Promise((r) => setImmediate(r));
    }
    await done;
    expect(turns).toBeGreaterThan(3); // it really was loaded across several turns
    const after = exactOf(db);
    for (const q of queries) same(vi.knn('chunk', 'big', q, 30), after.knn('chunk', 'big', q, 30));
    expect(vi.mirrorState('chunk', 'big', DIMS)).toBe('loaded');
    expect(vi.mirrorState('chunk', 'small', DIMS)).toBe('none');
  });

  it("reads vec0's chunk tables as vec0 itself reports the partition (the layout this depends on)", () => {
    const db = open();
    const vi = new VectorIndex(db, { mirrorAt: Infinity });
    const ops = log();
    db.transaction(() => {
      for (const op of ops) {
        if ('put' in op) vi.put('chunk', op.put.rowid, op.put.scope, op.put.vector);
        else vi.remove('chunk', op.remove);
      }
      vi.flush();
    })();
    for (const scope of ['big', 'small']) {
      const viaVec0 = (db.prepare(`SELECT rowid, hex(embedding) AS e FROM vec_chunk_${DIMS} WHERE scope = ?`).all(scope) as { rowid: number; e: string }[])
        .map((r) => `${r.rowid}:${r.e}`)
        .sort();
      const reader = new Vec0ChunkReader(db, `vec_chunk_${DIMS}`, DIMS);
      const viaChunks: string[] = [];
      for (let after: number | undefined = 0; after !== undefined; ) {
        const { rows, next }: ReturnType<Vec0ChunkReader['read']> = reader.read(scope, after, 3);
        for (const r of rows) viaChunks.push(`${r.rowid}:${Buffer.from(Int8Array.from(r.vector).buffer).toString('hex').toUpperCase()}`); // int8 codes, returned as floats
        after = next;
      }
      expect(viaChunks.sort()).toEqual(viaVec0);
      expect(viaVec0.length).toBeGreaterThan(50);
    }
  });

  it('warms the biggest scopes into memory after a restart, as many as the budget holds', async () => {
    const db = open();
    const vi = new VectorIndex(db, { mirrorAt: 10 });
    const vec = clusteredPoints({ dims: DIMS, clusters: 4, sigma: 0.2, random: seededRandom(21) });
    db.transaction(() => {
      for (let i = 1; i <= 700; i++) vi.put('chunk', i, i <= 400 ? 'largest' : i <= 650 ? 'middle' : i <= 695 ? 'small' : 'tiny', vec());
      vi.flush();
    })();
    // Room for 'largest' and 'small' but not also 'middle' (biggest first, then whatever still fits).
    const budget = (400 + 64 + 45 + 64) * (32 + 4 + 4 + DIMS * 4 + 4 + 8) + 100; // each mirror has 64 rows of headroom
    const restarted = new VectorIndex(db, { mirrorAt: 10, mirrorBytes: budget, mirrorSliceChunks: 1 });
    expect(restarted.warm().map((w) => w.scope)).toEqual(['largest', 'small']);
    expect(restarted.mirrorState('chunk', 'largest', DIMS)).toBe('loading');
    await restarted.mirrorLoaded('chunk', 'largest', DIMS);
    await restarted.mirrorLoaded('chunk', 'small', DIMS);
    expect(['largest', 'small', 'middle', 'tiny'].map((s) => restarted.mirrorState('chunk', s, DIMS))).toEqual(['loaded', 'loaded', 'none', 'none']);
    const exact = exactOf(db);
    for (const q of queries) same(restarted.knn('chunk', 'largest', q, 10), exact.knn('chunk', 'largest', q, 10));
  });
});
