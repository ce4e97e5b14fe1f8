/**
 * KNN in the live path: VectorIndex (as the projector writes and the read model searches) with N vectors
 * in ONE scope, against sqlite-vec's brute-force float search over the same vectors in the same run.
 * Also the training stall (the page whose put crosses trainAt) and the per-insert cost before/after.
 * Synthetic clustered data (same generator as bench/vectors-ivf.ts): favourable to IVF.
 *
 *   npx tsx bench/vectors-live.ts      (BENCH_N=100000 BENCH_DIMS=512 BENCH_QUERIES=100 BENCH_NPROBE=16)
 */
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { VectorIndex, bytes } from '../src/projections/vector-index.ts';
import { clusteredPoints, seededRandom } from '../test/support/clustered-vectors.ts';

const N = Number(process.env.BENCH_N ?? 100_000);
const DIMS = Number(process.env.BENCH_DIMS ?? 512);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 100);
const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 200);
const NOISE = Number(process.env.BENCH_NOISE ?? 1.0);
const PAGE = 1000;
const K = 10;

const point = clusteredPoints({ dims: DIMS, clusters: CLUSTERS, sigma: NOISE / Math.sqrt(DIMS), random: seededRandom(0x9e3779b9) });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const db = new Database(':memory:');
sqliteVec.load(db);
const nprobe = Number(process.env.BENCH_NPROBE ?? 16);
const vi = new VectorIndex(db, { nprobe });
const data = Array.from({ length: N }, point);

const pageMs: number[] = [];
for (let at = 0; at < N; at += PAGE) {
  const t = performance.now();
  db.transaction(() => {
    for (let i = at; i < Math.min(N, at + PAGE); i++) vi.put('chunk', i + 1, 'agent-1', data[i]);
    vi.flush();
  })();
  pageMs.push(performance.now() - t);
}
const trained = (db.prepare('SELECT count(*) FROM vector_cells').pluck().get() as number) > 0;
const stallPage = pageMs.indexOf(Math.max(...pageMs));
const perInsert = (pages: number[]) => (pct(pages, 50) / PAGE) * 1000;
const before = pageMs.slice(0, Math.min(stallPage, 16));
const after = pageMs.slice(stallPage + 1);

db.exec(`CREATE VIRTUAL TABLE exact USING vec0(embedding float[${DIMS}] distance_metric=cosine)`);
const ins = db.prepare('INSERT INTO exact(rowid, embedding) VALUES (?, ?)');
db.transaction(() => data.forEach((v, i) => ins.run(BigInt(i + 1), bytes(v))))();
const exact = db.prepare('SELECT rowid FROM exact WHERE embedding MATCH ? AND k = ?').pluck();

const queries = Array.from({ length: QUERIES }, point);
const liveMs: number[] = [];
const exactMs: number[] = [];
let recall = 0;
for (const q of queries) {
  let t = performance.now();
  const truth = (exact.all(bytes(q), K) as (number | bigint)[]).map(Number);
  exactMs.push(performance.now() - t);
  t = performance.now();
  const got = vi.knn('chunk', 'agent-1', q, K).map((h) => h.rowid);
  liveMs.push(performance.now() - t);
  recall += got.filter((id) => truth.includes(id)).length / K;
}
console.log(`N=${N} dims=${DIMS} queries=${QUERIES} nprobe=${nprobe} split=${trained}`);
console.log(`| vectors in one scope | search | p50 ms | p95 ms | recall@10 |\n|---|---|---|---|---|`);
console.log(`| ${N.toLocaleString('en')} | live VectorIndex.knn${trained ? ` (128 cells, nprobe ${nprobe})` : ' (exact)'} | ${pct(liveMs, 50).toFixed(2)} | ${pct(liveMs, 95).toFixed(2)} | ${(recall / QUERIES).toFixed(3)} |`);
console.log(`| ${N.toLocaleString('en')} | sqlite-vec brute force (float) | ${pct(exactMs, 50).toFixed(2)} | ${pct(exactMs, 95).toFixed(2)} | 1 |`);
console.log(`pages of ${PAGE} puts: slowest page #${stallPage} ${pageMs[stallPage].toFixed(0)} ms; per insert (median page) before ${perInsert(before).toFixed(1)} us, after ${after.length ? perInsert(after).toFixed(1) : '-'} us`);
