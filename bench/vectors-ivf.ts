/**
 * Experiment (not in the live path): IVF on top of vec0 for one big scope. k-means cells (centroids in
 * a small vec0 table, assignment by vec0 KNN k=1), vectors in a vec0 table partitioned by cell; a
 * query probes the nearest `nprobe` cells. Same data generator and ground truth as bench/vectors.ts.
 *
 *   npx tsx bench/vectors-ivf.ts        (BENCH_N=100000 BENCH_DIMS=512 BENCH_CELLS=256 BENCH_QUERIES=50)
 */
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { clusteredPoints, seededRandom, unit } from '../test/support/clustered-vectors.ts';

const N = Number(process.env.BENCH_N ?? 100_000);
const DIMS = Number(process.env.BENCH_DIMS ?? 512);
const CELLS = Number(process.env.BENCH_CELLS ?? 256);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 50);
const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 200);
const NOISE = Number(process.env.BENCH_NOISE ?? 1.0);
const K = 10;

const point = clusteredPoints({ dims: DIMS, clusters: CLUSTERS, sigma: NOISE / Math.sqrt(DIMS), random: seededRandom(0x9e3779b9) });
const blob = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const db = new Database(':memory:');
sqliteVec.load(db);
const data = Array.from({ length: N }, point);
db.exec(`CREATE VIRTUAL TABLE vf USING vec0(embedding float[${DIMS}] distance_metric=cosine)`);
const insF = db.prepare('INSERT INTO vf(rowid, embedding) VALUES (?, ?)');
db.transaction(() => data.forEach((v, i) => insF.run(BigInt(i + 1), blob(v))))();

// k-means on a sample, assignment through a vec0 table of centroids.
const t0 = performance.now();
const sample = data.slice(0, Math.min(N, CELLS * 32));
let cents: Float32Array[] = sample.slice(0, CELLS).map((v) => new Float32Array(v));
db.exec(`CREATE VIRTUAL TABLE cents USING vec0(embedding float[${DIMS}] distance_metric=cosine, chunk_size=64)`);
const insC = db.prepare('INSERT INTO cents(rowid, embedding) VALUES (?, ?)');
const nearest = db.prepare('SELECT rowid FROM cents WHERE embedding MATCH ? AND k = ?').pluck();
const loadCents = () => {
  db.exec('DELETE FROM cents');
  db.transaction(() => cents.forEach((c, i) => insC.run(BigInt(i), blob(c))))();
};
for (let iter = 0; iter < 6; iter++) {
  loadCents();
  const sums = Array.from({ length: CELLS }, () => new Float32Array(DIMS));
  const counts = new Array<number>(CELLS).fill(0);
  for (const v of sample) {
    const c = nearest.get(blob(v), 1) as number;
    counts[c]++;
    const sum = sums[c];
    for (let d = 0; d < DIMS; d++) sum[d] += v[d];
  }
  cents = sums.map((sum, c) => (counts[c] ? unit(sum) : cents[c]));
}
loadCents();
const trainS = (performance.now() - t0) / 1000;

db.exec(`CREATE VIRTUAL TABLE ivf USING vec0(cell integer partition key, embedding float[${DIMS}] distance_metric=cosine, chunk_size=64)`);
const insI = db.prepare('INSERT INTO ivf(rowid, cell, embedding) VALUES (?, ?, ?)');
const t1 = performance.now();
db.transaction(() => data.forEach((v, i) => insI.run(BigInt(i + 1), BigInt(nearest.get(blob(v), 1) as number), blob(v))))();
const assignS = (performance.now() - t1) / 1000;
console.log(
  `IVF: ${N.toLocaleString('en')} × ${DIMS}d, ${CELLS} cells trained on ${sample.length} in ${trainS.toFixed(1)} s, assigned in ${assignS.toFixed(1)} s`,
);

const queries = Array.from({ length: QUERIES }, point);
const knnF = db.prepare('SELECT rowid FROM vf WHERE embedding MATCH ? AND k = ?').pluck();
const knnCell = db.prepare('SELECT rowid, distance FROM ivf WHERE embedding MATCH ? AND k = ? AND cell = ?');
const truth = queries.map((q) => knnF.all(blob(q), K) as number[]);

console.log('| vectors | strategy | p50 ms | p95 ms | recall@10 |\n|---|---|---|---|---|');
for (const nprobe of [4, 8, 16, 32]) {
  const times: number[] = [];
  let rec = 0;
  queries.forEach((q, qi) => {
    const t = performance.now();
    const b = blob(q);
    const cells = nearest.all(b, nprobe) as number[];
    const hits: { rowid: number; distance: number }[] = [];
    for (const c of cells) hits.push(...(knnCell.all(b, K, BigInt(c)) as { rowid: number; distance: number }[]));
    const top = hits
      .sort((x, y) => x.distance - y.distance)
      .slice(0, K)
      .map((h) => h.rowid);
    times.push(performance.now() - t);
    rec += top.filter((id) => truth[qi].includes(id)).length / K;
  });
  console.log(
    `| ${N.toLocaleString('en')} | IVF ${CELLS} cells, nprobe ${nprobe} | ${pct(times, 50).toFixed(2)} | ${pct(times, 95).toFixed(2)} | ${(rec / QUERIES).toFixed(3)} |`,
  );
}
db.close();
