import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { describe, expect, it } from 'vitest';
import { QuantizedVector } from '../../src/events/quantized-vector.ts';
import { VectorIndex } from '../../src/projections/vector-index.ts';
import { clusteredPoints, seededRandom } from '../support/clustered-vectors.ts';

const DIMS = 32;

function open() {
  const db = new Database(':memory:');
  sqliteVec.load(db);
  return db;
}

const codesIn = (db: Database.Database, rowid: number) =>
  new Int8Array(db.prepare(`SELECT embedding FROM vec_message_${DIMS} WHERE rowid = ?`).pluck().get(BigInt(rowid)) as Buffer);

function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) (dot += a[i] * b[i]), (na += a[i] * a[i]), (nb += b[i] * b[i]);
  return 1 - dot / Math.sqrt(na * nb);
}

describe('vec0 keeps int8 codes', () => {
  const vec = clusteredPoints({ dims: DIMS, clusters: 4, sigma: 0.3, random: seededRandom(31) });

  it("stores a quantized vector's own codes, and quantizes a float vector (an older log's) the same way every time", () => {
    const db = open();
    const vi = new VectorIndex(db, { mirrorAt: Number.POSITIVE_INFINITY });
    const fromLog = QuantizedVector.fromBytes(QuantizedVector.quantize(vec()).toBytes()); // as a replay decodes `$i8`
    const plain = vec(); // a `$f32` vector of a log written before int8
    vi.put('message', 1, 'room', fromLog);
    vi.put('message', 2, 'room', plain);
    vi.flush();
    expect([...codesIn(db, 1)]).toEqual([...fromLog.codes]);
    expect([...codesIn(db, 2)]).toEqual([...QuantizedVector.quantize(plain).codes]);
    expect([...codesIn(db, 2)]).toEqual([...QuantizedVector.quantize(Float32Array.from(plain)).codes]);
  });

  it('ranks by the cosine of the dequantized vectors (the scale does not matter), the same in vec0 and in memory', () => {
    const rows = Array.from({ length: 300 }, () => QuantizedVector.quantize(vec()));
    const queries = Array.from({ length: 20 }, () => QuantizedVector.quantize(vec()));
    const inVec0 = new VectorIndex(open(), { mirrorAt: Number.POSITIVE_INFINITY });
    const inMemory = new VectorIndex(open(), { mirrorAt: 1, mirrorLoad: 'inline' });
    for (const vi of [inVec0, inMemory]) {
      rows.forEach((v, i) => vi.put('message', i + 1, 'room', v));
      vi.flush();
    }
    for (const q of queries) {
      const a = inVec0.knn('message', 'room', q, 10);
      const b = inMemory.knn('message', 'room', q, 10);
      expect(b.map((h) => h.rowid)).toEqual(a.map((h) => h.rowid));
      for (const h of a) expect(h.distance).toBeCloseTo(cosineDistance(q, rows[h.rowid - 1]), 5);
      const exact = rows
        .map((v, i) => ({ rowid: i + 1, d: cosineDistance(q, v) }))
        .sort((x, y) => x.d - y.d || x.rowid - y.rowid)
        .slice(0, 10);
      expect(a.map((h) => h.distance)).toEqual(exact.map((e) => expect.closeTo(e.d, 5)));
    }
  });
});
