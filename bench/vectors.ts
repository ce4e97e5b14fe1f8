/**
 * KNN latency and recall@10 at 10k and 100k vectors (512 dims by default), against sqlite-vec's own
 * brute-force float search as ground truth. One bounded run:
 *
 *   npx tsx bench/vectors.ts            (BENCH_SIZES=10000,100000 BENCH_DIMS=512 BENCH_QUERIES=100)
 *
 * Strategies:
 *   float        vec0 float[d] cosine, one table, exact (the ground truth itself)
 *   partitioned  vec0 float[d] with a `scope` partition key (what the live path uses: messages by room,
 *                chunks/facts by agent); the same N vectors spread over BENCH_SCOPES scopes, a query scans one
 *   int8+rerank  vec0 int8[d] coarse top-R, exact float re-rank
 *   bit+rerank   vec0 bit[d] (hamming) coarse top-R, exact float re-rank
 * Data: clustered synthetic unit vectors (BENCH_CLUSTERS centroids + gaussian noise), queries drawn the
 * same way but not in the set.
 */
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { clusteredPoints, seededRandom } from '../test/support/clustered-vectors.ts';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const DIMS = Number(process.env.BENCH_DIMS ?? 512);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 50);
const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 200);
const SCOPES = Number(process.env.BENCH_SCOPES ?? 10);
const NOISE = Number(process.env.BENCH_NOISE ?? 1.0);
const K = 10;

// Noise of norm ≈ NOISE around unit centroids: points of a cluster are near each other, as texts on one
// topic are; purely random vectors (no structure) are the worst case for any quantization.
const point = clusteredPoints({ dims: DIMS, clusters: CLUSTERS, sigma: NOISE / Math.sqrt(DIMS), random: seededRandom(0x9e3779b9) });
const blob = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

function pct(xs: number[], p: number): number {
  const a = [...xs].sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))];
}

function timeQueries(queries: Float32Array[], run: (q: Float32Array, i: number) => number[]): { p50: number; p95: number; results: number[][] } {
  for (let i = 0; i < Math.min(5, queries.length); i++) run(queries[i], i); // warm-up
  const times: number[] = [];
  const results: number[][] = [];
  queries.forEach((q, i) => {
    const t0 = performance.now();
    results.push(run(q, i));
    times.push(performance.now() - t0);
  });
  return { p50: pct(times, 50), p95: pct(times, 95), results };
}

const recall = (got: number[][], truth: number[][]) =>
  got.reduce((acc, g, i) => acc + g.filter((id) => truth[i].includes(id)).length / truth[i].length, 0) / got.length;

function jsRerank(q: Float32Array, ids: number[], load: (id: number) => Buffer): number[] {
  const scored = ids.map((id) => {
    const b = load(id);
    const v = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += v[i] * q[i];
    return { id, dot };
  });
  return scored
    .sort((a, b) => b.dot - a.dot)
    .slice(0, K)
    .map((x) => x.id);
}

const rows: string[] = [];
const report = (n: number, name: string, r: { p50: number; p95: number }, rec: number, note = '') => {
  const line = `| ${n.toLocaleString('en')} | ${name} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${rec.toFixed(3)} | ${note} |`;
  rows.push(line);
  console.log(line);
};

console.log(`| vectors | strategy | p50 ms | p95 ms | recall@10 | note |\n|---|---|---|---|---|---|`);
for (const N of SIZES) {
  const db = new Database(':memory:');
  sqliteVec.load(db);
  db.exec(`CREATE VIRTUAL TABLE vf USING vec0(embedding float[${DIMS}] distance_metric=cosine)`);
  db.exec(`CREATE VIRTUAL TABLE vp USING vec0(scope text partition key, embedding float[${DIMS}] distance_metric=cosine, chunk_size=64)`);
  db.exec(`CREATE VIRTUAL TABLE vi USING vec0(embedding int8[${DIMS}])`);
  db.exec(`CREATE VIRTUAL TABLE vb USING vec0(embedding bit[${DIMS}])`);
  db.exec(`CREATE TABLE fv (id INTEGER PRIMARY KEY, v BLOB NOT NULL)`);
  const ins = {
    f: db.prepare('INSERT INTO vf(rowid, embedding) VALUES (?, ?)'),
    p: db.prepare('INSERT INTO vp(rowid, scope, embedding) VALUES (?, ?, ?)'),
    i: db.prepare(`INSERT INTO vi(rowid, embedding) VALUES (?, vec_quantize_int8(vec_f32(?), 'unit'))`),
    b: db.prepare('INSERT INTO vb(rowid, embedding) VALUES (?, vec_quantize_binary(vec_f32(?)))'),
    raw: db.prepare('INSERT INTO fv(id, v) VALUES (?, ?)'),
  };
  const scopeOf = (id: number) => `scope-${id % SCOPES}`;
  const t0 = performance.now();
  db.transaction(() => {
    for (let id = 1; id <= N; id++) {
      const b = blob(point());
      const big = BigInt(id);
      ins.f.run(big, b);
      ins.p.run(big, scopeOf(id), b);
      ins.i.run(big, b);
      ins.b.run(big, b);
      ins.raw.run(id, b);
    }
  })();
  console.log(`(built ${N} vectors × 4 indexes in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const queries = Array.from({ length: QUERIES }, point);
  const knnF = db.prepare('SELECT rowid FROM vf WHERE embedding MATCH ? AND k = ?').pluck();
  const knnP = db.prepare('SELECT rowid FROM vp WHERE embedding MATCH ? AND k = ? AND scope = ?').pluck();
  const truthP = db.prepare(`SELECT id FROM fv WHERE id % ${SCOPES} = ? ORDER BY vec_distance_cosine(v, ?) LIMIT ?`).pluck();
  const knnI = db.prepare(`SELECT rowid FROM vi WHERE embedding MATCH vec_quantize_int8(vec_f32(?), 'unit') AND k = ?`).pluck();
  const knnB = db.prepare('SELECT rowid FROM vb WHERE embedding MATCH vec_quantize_binary(vec_f32(?)) AND k = ?').pluck();
  const rerank = db.prepare(`SELECT id FROM fv WHERE id IN (SELECT value FROM json_each(?)) ORDER BY vec_distance_cosine(v, ?) LIMIT ?`).pluck();

  const truth = timeQueries(queries, (q) => knnF.all(blob(q), K) as number[]);
  report(N, 'float brute force (vec0, one table)', truth, 1, 'ground truth');

  const scopeTruth = queries.map((q, i) => truthP.all(i % SCOPES, blob(q), K) as number[]);
  const part = timeQueries(queries, (q, i) => knnP.all(blob(q), K, `scope-${i % SCOPES}`) as number[]);
  report(
    N,
    `partitioned float (${SCOPES} scopes, ${(N / SCOPES).toLocaleString('en')}/scope)`,
    part,
    recall(part.results, scopeTruth),
    'exact within scope; live path',
  );

  for (const R of [50]) {
    const r = timeQueries(queries, (q) => rerank.all(JSON.stringify(knnI.all(blob(q), R)), blob(q), K) as number[]);
    report(N, `int8 top-${R} + float re-rank`, r, recall(r.results, truth.results));
  }
  for (const R of [100, 400]) {
    const coarse = timeQueries(queries, (q) => knnB.all(blob(q), R) as number[]);
    report(
      N,
      `bit top-${R} alone (coarse scan)`,
      coarse,
      recall(
        coarse.results.map((x) => x.slice(0, K)),
        truth.results,
      ),
    );
    const r = timeQueries(queries, (q) => rerank.all(JSON.stringify(knnB.all(blob(q), R)), blob(q), K) as number[]);
    report(N, `bit top-${R} + float re-rank (SQL)`, r, recall(r.results, truth.results));
  }
  // Re-rank in JS: fetch each candidate's float vector by primary key, exact cosine in a loop.
  const one = db.prepare('SELECT v FROM fv WHERE id = ?').pluck();
  for (const R of [200, 1000]) {
    const r = timeQueries(queries, (q) => jsRerank(q, knnB.all(blob(q), R) as number[], (id) => one.get(id) as Buffer));
    report(N, `bit top-${R} + float re-rank (JS)`, r, recall(r.results, truth.results));
  }
  db.close();
}
