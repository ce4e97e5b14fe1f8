/**
 * KNN in the live path: VectorIndex (as the projector writes and the read model searches) with N vectors
 * in ONE scope, against sqlite-vec's brute-force float search over the same vectors in the same run.
 * Scopes past `mirrorAt` puts are searched in memory (int8 WebAssembly SIMD scan + exact float re-rank).
 * Also: projector cost per put, the one-off load of a scope's mirror from vec0 on its first search (a
 * restart), and the mirror's memory.
 *
 *   npx tsx bench/vectors-live.ts      (BENCH_SIZES=10000,100000 BENCH_DIMS=512 BENCH_QUERIES=100)
 *
 * Data: clustered synthetic unit vectors (bench/RESULTS-vectors.md has the real-embedding check,
 * bench/vectors-real.ts).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { VectorIndex, bytes } from '../src/projections/vector-index.ts';
import { clusteredPoints, seededRandom } from '../test/support/clustered-vectors.ts';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const DIMS = Number(process.env.BENCH_DIMS ?? 512);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 100);
const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 200);
const NOISE = Number(process.env.BENCH_NOISE ?? 1.0);
const PAGE = 1000;
const K = 10;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const rows: string[] = [];
const notes: string[] = [];

for (const N of SIZES) {
  const point = clusteredPoints({ dims: DIMS, clusters: CLUSTERS, sigma: NOISE / Math.sqrt(DIMS), random: seededRandom(0x9e3779b9) });
  const db = new Database(':memory:');
  sqliteVec.load(db);
  const data = Array.from({ length: N + 2 * PAGE }, point);
  let vi = new VectorIndex(db);
  const writePage = (at: number) => {
    const t = performance.now();
    db.transaction(() => {
      for (let i = at; i < at + PAGE; i++) vi.put('chunk', i + 1, 'agent-1', data[i]);
      vi.flush();
    })();
    return performance.now() - t;
  };
  const pageMs: number[] = [];
  for (let at = 0; at < N; at += PAGE) pageMs.push(writePage(at));

  db.exec(`CREATE VIRTUAL TABLE exact USING vec0(embedding float[${DIMS}] distance_metric=cosine)`);
  const ins = db.prepare('INSERT INTO exact(rowid, embedding) VALUES (?, ?)');
  db.transaction(() => data.forEach((v, i) => ins.run(BigInt(i + 1), bytes(v))))();
  const exact = db.prepare('SELECT rowid FROM exact WHERE embedding MATCH ? AND k = ?').pluck();

  vi = new VectorIndex(db); // a restart: the first search starts loading the scope from vec0, a slice per turn
  const queries = Array.from({ length: QUERIES }, point);
  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();
  let t = performance.now();
  vi.knn('chunk', 'agent-1', queries[0], K);
  await vi.mirrorLoaded('chunk', 'agent-1', DIMS);
  const loadMs = performance.now() - t;
  stalls.disable();
  const mirrorPageMs = [writePage(N), writePage(N + PAGE)];
  const liveMs: number[] = [];
  const exactMs: number[] = [];
  let recall = 0;
  for (const q of queries) {
    t = performance.now();
    const truth = (exact.all(bytes(q), K) as (number | bigint)[]).map(Number);
    exactMs.push(performance.now() - t);
    t = performance.now();
    const got = vi.knn('chunk', 'agent-1', q, K).map((h) => h.rowid);
    liveMs.push(performance.now() - t);
    recall += got.filter((id) => truth.includes(id)).length / K;
  }
  const memMb = process.memoryUsage().arrayBuffers / 1e6;
  rows.push(
    `| ${N.toLocaleString('en')} | live VectorIndex.knn (in memory) | ${pct(liveMs, 50).toFixed(2)} | ${pct(liveMs, 95).toFixed(2)} | ${(recall / QUERIES).toFixed(3)} |`,
  );
  rows.push(`| ${N.toLocaleString('en')} | sqlite-vec brute force (float) | ${pct(exactMs, 50).toFixed(2)} | ${pct(exactMs, 95).toFixed(2)} | 1 |`);
  notes.push(
    `N=${N}: projector ${((pct(pageMs, 50) / PAGE) * 1000).toFixed(1)} us/put (median page of ${PAGE}), ${((Math.min(...mirrorPageMs) / PAGE) * 1000).toFixed(1)} us/put with the mirror loaded; ` +
      `after a restart the mirror loads in ${loadMs.toFixed(0)} ms (longest event-loop stall ${(stalls.max / 1e6).toFixed(0)} ms); array buffers ${memMb.toFixed(0)} MB`,
  );
  db.close();
}
console.log(`dims=${DIMS} queries=${QUERIES} k=${K} clusters=${CLUSTERS} noise=${NOISE}`);
console.log(`| vectors in one scope | search | p50 ms | p95 ms | recall@10 |\n|---|---|---|---|---|`);
for (const r of rows) console.log(r);
for (const n of notes) console.log(n);
