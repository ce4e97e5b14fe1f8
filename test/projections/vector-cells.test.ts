import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { describe, expect, it } from 'vitest';
import { dot } from '../../src/projections/ivf.js';
import { VectorIndex, type VectorIndexOptions } from '../../src/projections/vector-index.js';
import { clusteredPoints, seededRandom, unit } from '../support/clustered-vectors.ts';

const DIMS = 32;
const OPTS: VectorIndexOptions = { trainAt: 300, cells: 16, nprobe: 4, maxSample: 200 };

type Op = { put: { rowid: number; scope: string; vector: Float32Array } } | { remove: number };

/** A log of chunk puts: a big agent (crosses trainAt), a small one, some replacements and removals. */
function log(): Op[] {
  const vec = clusteredPoints({ dims: DIMS, clusters: 12, sigma: 0.15, random: seededRandom(11) });
  const ops: Op[] = [];
  for (let i = 1; i <= 900; i++) {
    ops.push({ put: { rowid: i, scope: i % 7 === 0 ? 'small' : 'big', vector: vec() } });
    if (i % 50 === 0) ops.push({ remove: i - 10 });
    if (i % 37 === 0) ops.push({ put: { rowid: i - 5, scope: (i - 5) % 7 === 0 ? 'small' : 'big', vector: vec() } });
  }
  return ops;
}

function open(file = ':memory:') {
  const db = new Database(file);
  sqliteVec.load(db);
  return db;
}

/** Applies the log in pages of `page` ops (flush + commit per page), reopening the index every `restartEvery` pages. */
function project(db: Database.Database, ops: Op[], page: number, restartEvery = Infinity): VectorIndex {
  let vi = new VectorIndex(db, OPTS);
  for (let at = 0, pages = 0; at < ops.length; at += page, pages++) {
    if (pages > 0 && pages % restartEvery === 0) vi = new VectorIndex(db, OPTS);
    db.transaction(() => {
      for (const op of ops.slice(at, at + page)) {
        if ('put' in op) vi.put('chunk', op.put.rowid, op.put.scope, op.put.vector);
        else vi.remove('chunk', op.remove);
      }
      vi.flush();
    })();
  }
  return vi;
}

const dump = (db: Database.Database) => ({
  rows: db.prepare(`SELECT rowid, scope, hex(embedding) AS e FROM vec_chunk_${DIMS} ORDER BY rowid`).all(),
  cells: db.prepare('SELECT name, scope, cell, hex(centroid) AS c FROM vector_cells ORDER BY 1, 2, 3').all(),
  puts: db.prepare('SELECT * FROM vector_scope_puts ORDER BY 1, 2').all(),
});

describe('VectorIndex cells', () => {
  const ops = log();
  const queries = Array.from({ length: 30 }, (_, i) => {
    const { gauss } = seededRandom(500 + i);
    return unit(Float32Array.from({ length: DIMS }, gauss));
  });

  it('splits a big scope at the same point whatever the page size or restarts: identical tables and results', () => {
    const whole = open();
    const ref = project(whole, ops, ops.length);
    const expected = dump(whole);
    expect(expected.cells.filter((c) => (c as { scope: string }).scope === 'big')).toHaveLength(16);
    expect(expected.cells.filter((c) => (c as { scope: string }).scope === 'small')).toHaveLength(0);
    for (const [page, restartEvery] of [[1, Infinity], [7, 3], [299, 1], [301, 1], [64, 2]]) {
      const db = open();
      const vi = project(db, ops, page, restartEvery);
      expect(dump(db)).toEqual(expected);
      for (const q of queries) {
        expect(vi.knn('chunk', 'big', q, 10)).toEqual(ref.knn('chunk', 'big', q, 10));
        expect(vi.knn('chunk', 'small', q, 10)).toEqual(ref.knn('chunk', 'small', q, 10));
      }
    }
  });

  it('keeps recall@10 >= 0.95 against exact search in the split scope; removed rows are never found', () => {
    const db = open();
    const vi = project(db, ops, 100);
    const exact = db.prepare(`SELECT rowid FROM vec_chunk_${DIMS} WHERE scope = 'big' OR scope LIKE 'big' || char(1) || '%'`).pluck().all() as number[];
    const live = new Map((db.prepare(`SELECT rowid, embedding FROM vec_chunk_${DIMS}`).all() as { rowid: number; embedding: Buffer }[]).map((r) => [Number(r.rowid), new Float32Array(r.embedding.buffer.slice(r.embedding.byteOffset, r.embedding.byteOffset + r.embedding.byteLength))]));
    const big = new Set(exact.map(Number));
    // Queries near the data (as a question is near its answer); random directions far from every cluster are IVF's worst case.
    const near = [...big].filter((_, i) => i % 23 === 0).map((id, i) => {
      const { gauss } = seededRandom(900 + i);
      return unit(live.get(id)!.map((x) => x + 0.05 * gauss()));
    });
    let recall = 0;
    for (const q of near) {
      const truth = [...big].map((id) => ({ id, s: dot(live.get(id)!, q) })).sort((a, b) => b.s - a.s).slice(0, 10).map((h) => h.id);
      const got = vi.knn('chunk', 'big', q, 10).map((h) => h.rowid);
      expect(got.every((id) => big.has(id))).toBe(true);
      recall += got.filter((id) => truth.includes(id)).length / 10;
    }
    expect(near.length).toBeGreaterThan(20);
    expect(recall / near.length).toBeGreaterThanOrEqual(0.95);
    vi.remove('chunk', 1);
    for (const q of queries) expect(vi.knn('chunk', 'big', q, 50).some((h) => h.rowid === 1)).toBe(false);
  });
});
