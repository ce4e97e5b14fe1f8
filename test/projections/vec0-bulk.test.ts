import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { describe, expect, it } from 'vitest';
import { Vec0BulkWriter } from '../../src/projections/vec0/bulk-writer.js';
import { int8Bytes } from '../../src/projections/vec0/int8.js';
import { VectorIndex } from '../../src/projections/vector-index.js';
import { clusteredPoints, seededRandom } from '../support/clustered-vectors.ts';

const DIMS = 24;
const CHUNK = 8;

function table(db: Database.Database) {
  db.exec(`CREATE VIRTUAL TABLE v USING vec0(scope text partition key, embedding int8[${DIMS}] distance_metric=cosine, chunk_size=${CHUNK})`);
}

function open() {
  const db = new Database(':memory:');
  sqliteVec.load(db);
  table(db);
  return db;
}

const shadow = (db: Database.Database) =>
  Object.fromEntries(
    ['v_chunks', 'v_rowids', 'v_vector_chunks00', 'v_info', 'sqlite_sequence'].map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).raw().all()]),
  );

describe('Vec0BulkWriter', () => {
  const vec = clusteredPoints({ dims: DIMS, clusters: 5, sigma: 0.2, random: seededRandom(9) });
  // Partitions of 0, 1, 7, 8, 9 and 30 rows: empty, partial, exactly full and several chunks.
  const partitions = [
    ['a', 1],
    ['b', 7],
    ['c', 8],
    ['d', 9],
    ['e', 30],
  ].map(([scope, n], p) => ({
    scope: scope as string,
    rows: Array.from({ length: n as number }, (_, i) => ({ rowid: 1000 * (p + 1) + 3 * i, vector: vec() })),
  }));

  it("writes vec0's shadow tables byte for byte as vec0's own inserts do, partition after partition", () => {
    const viaVec0 = open();
    const ins = viaVec0.prepare('INSERT INTO v (rowid, scope, embedding) VALUES (?, ?, vec_int8(?))');
    for (const p of partitions) for (const r of p.rows) ins.run(BigInt(r.rowid), p.scope, int8Bytes(r.vector));
    const viaBulk = open();
    viaBulk.transaction(() => new Vec0BulkWriter(viaBulk, 'v', DIMS, CHUNK).write(partitions))();
    expect(shadow(viaBulk)).toEqual(shadow(viaVec0));
  });

  it('leaves a table vec0 keeps working with: KNN, point reads, deletes and later inserts agree with a vec0-built twin', () => {
    const a = open();
    const b = open();
    const insA = a.prepare('INSERT INTO v (rowid, scope, embedding) VALUES (?, ?, vec_int8(?))');
    for (const p of partitions) for (const r of p.rows) insA.run(BigInt(r.rowid), p.scope, int8Bytes(r.vector));
    b.transaction(() => new Vec0BulkWriter(b, 'v', DIMS, CHUNK).write(partitions))();
    for (const db of [a, b]) {
      db.prepare('DELETE FROM v WHERE rowid = ?').run(BigInt(partitions[4].rows[3].rowid));
      const ins = db.prepare('INSERT INTO v (rowid, scope, embedding) VALUES (?, ?, vec_int8(?))');
      const more = clusteredPoints({ dims: DIMS, clusters: 5, sigma: 0.2, random: seededRandom(10) });
      for (let i = 0; i < 12; i++) ins.run(BigInt(90_000 + i), i % 2 ? 'e' : 'd', int8Bytes(more()));
    }
    expect(shadow(b)).toEqual(shadow(a));
    expect(() => b.prepare('DELETE FROM v_chunks').run()).toThrow(/may not be modified/); // defensive mode is back on
    const q = int8Bytes(vec());
    for (const scope of ['a', 'b', 'c', 'd', 'e']) {
      const knn = (db: Database.Database) =>
        db.prepare('SELECT rowid, distance FROM v WHERE embedding MATCH vec_int8(?) AND k = 20 AND scope = ?').all(q, scope);
      expect(knn(b)).toEqual(knn(a));
    }
    expect(b.prepare('SELECT hex(embedding) FROM v WHERE rowid = ?').pluck().get(BigInt(partitions[3].rows[8].rowid))).toBe(
      int8Bytes(partitions[3].rows[8].vector).toString('hex').toUpperCase(),
    );
  });

  it('a bulk replay that writes out part-way (memory budget) and sees replacements and removals ends as the ordinary path does', () => {
    const more = clusteredPoints({ dims: DIMS, clusters: 6, sigma: 0.2, random: seededRandom(12) });
    type Op = { put: [number, string, Float32Array] } | { remove: number };
    const ops: Op[] = [];
    for (let i = 1; i <= 400; i++) {
      ops.push({ put: [i, `s${i % 5}`, more()] });
      if (i % 9 === 0) ops.push({ put: [i - 50 > 0 ? i - 50 : i, `s${(i * 7) % 5}`, more()] }); // replaces, sometimes in another scope
      if (i % 13 === 0) ops.push({ remove: i - 20 > 0 ? i - 20 : i });
      if (i % 31 === 0) ops.push({ put: [i - 20 > 0 ? i - 20 : i, 's1', more()] }); // a removed row comes back
    }
    const run = (bulk: boolean) => {
      const db = new Database(':memory:');
      sqliteVec.load(db);
      const vi = new VectorIndex(db, { bulkBytes: 40 * DIMS * 4, mirrorAt: Infinity }); // writes out every ~40 vectors
      if (bulk) vi.beginBulk();
      for (let at = 0; at < ops.length; at += 23) {
        db.transaction(() => {
          for (const op of ops.slice(at, at + 23)) {
            if ('put' in op) vi.put('chunk', op.put[0], op.put[1], op.put[2]);
            else vi.remove('chunk', op.remove);
          }
          vi.flush();
        })();
      }
      if (bulk) vi.endBulk();
      return { db, vi };
    };
    const plain = run(false);
    const bulk = run(true);
    const rows = (db: Database.Database) => db.prepare(`SELECT rowid, scope, hex(embedding) AS e FROM vec_chunk_${DIMS} ORDER BY rowid`).all();
    expect(rows(bulk.db)).toEqual(rows(plain.db));
    expect(bulk.db.prepare('SELECT count(*) FROM vector_bulk_replay').pluck().get()).toBe(0);
    const q = more();
    for (const scope of ['s0', 's1', 's2', 's3', 's4']) expect(bulk.vi.knn('chunk', scope, q, 50)).toEqual(plain.vi.knn('chunk', scope, q, 50));
  });

  it('a bulk replay over a table that already has rows (a projection only catching up) replaces them the ordinary way', () => {
    const more = clusteredPoints({ dims: DIMS, clusters: 3, sigma: 0.2, random: seededRandom(14) });
    const before = Array.from({ length: 30 }, (_, i) => ({ rowid: i + 1, scope: `s${i % 3}`, vector: more() }));
    const during = [
      ...before.slice(0, 10).map((r) => ({ ...r, vector: more() })),
      ...Array.from({ length: 10 }, (_, i) => ({ rowid: 100 + i, scope: 's1', vector: more() })),
    ];
    const run = (bulk: boolean) => {
      const db = new Database(':memory:');
      sqliteVec.load(db);
      const vi = new VectorIndex(db, { mirrorAt: Infinity });
      db.transaction(() => {
        for (const r of before) vi.put('chunk', r.rowid, r.scope, r.vector);
        vi.flush();
      })();
      if (bulk) vi.beginBulk();
      db.transaction(() => {
        for (const r of during) vi.put('chunk', r.rowid, r.scope, r.vector);
        vi.flush();
      })();
      if (bulk) vi.endBulk();
      return db.prepare(`SELECT rowid, scope, hex(embedding) AS e FROM vec_chunk_${DIMS} ORDER BY rowid`).all();
    };
    expect(run(true)).toEqual(run(false));
  });
});
