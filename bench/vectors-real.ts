/**
 * Recall of the live in-memory search on real sentence embeddings (the local embedder, USE lite 512 d):
 * lines of the repository's Markdown files, embedded, put into ONE scope through VectorIndex; held-out
 * lines as queries; truth = sqlite-vec brute force over the same vectors. Then the same at 100k with
 * vectors blended from the real ones (see below).
 *
 *   npx tsx bench/vectors-real.ts      (BENCH_N=1500 BENCH_BIG=100000)
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { LocalEmbeddingWorker } from '../plugins/local/local-embedder.ts';
import { VectorIndex, bytes } from '../src/projections/vector-index.ts';
import { seededRandom, unit } from '../test/support/clustered-vectors.ts';

const N = Number(process.env.BENCH_N ?? 1500);
const QUERIES = 60;
const K = 10;

function markdown(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) markdown(p, out);
    else if (name.endsWith('.md')) out.push(p);
  }
  return out;
}
const lines = [
  ...new Set(
    ['.', '../shared']
      .flatMap((d) => markdown(d))
      .flatMap((f) => readFileSync(f, 'utf8').split(/\n|(?<=\.) /))
      .map((l) => l.replace(/[|#*`>-]/g, ' ').trim())
      .filter((l) => l.length > 30 && /[a-z]{4}/.test(l)),
  ),
];
const texts = lines.filter((_, i) => i % Math.max(1, Math.floor(lines.length / (N + QUERIES))) === 0).slice(0, N + QUERIES);

const embedder = new LocalEmbeddingWorker();
const t0 = performance.now();
const vectors: Float32Array[] = [];
for (let i = 0; i < texts.length; i += 64) vectors.push(...(await embedder.embed(texts.slice(i, i + 64))));
await embedder.close();
console.log(`${texts.length} lines embedded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const stored = vectors.filter((_, i) => i % Math.ceil(texts.length / QUERIES) !== 0);
const queries = vectors.filter((_, i) => i % Math.ceil(texts.length / QUERIES) === 0);

const db = new Database(':memory:');
sqliteVec.load(db);
const vi = new VectorIndex(db, { mirrorAt: 1 }); // searched in memory, as a big scope is
db.transaction(() => {
  stored.forEach((v, i) => vi.put('chunk', i + 1, 'agent', v));
  vi.flush();
})();
db.exec(`CREATE VIRTUAL TABLE exact USING vec0(embedding float[512] distance_metric=cosine)`);
const ins = db.prepare('INSERT INTO exact(rowid, embedding) VALUES (?, ?)');
stored.forEach((v, i) => ins.run(BigInt(i + 1), bytes(v)));
const exact = db.prepare('SELECT rowid FROM exact WHERE embedding MATCH ? AND k = ?').pluck();
const recallOf = (search: (q: Float32Array) => number[], qs: Float32Array[], truthOf: (q: Float32Array) => number[]) =>
  qs.reduce((sum, q) => {
    const truth = truthOf(q);
    return sum + search(q).filter((id) => truth.includes(id)).length / K;
  }, 0) / qs.length;
const truthOf = (q: Float32Array) => (exact.all(bytes(q), K) as (number | bigint)[]).map(Number);

console.log(`${stored.length} real vectors in one scope, ${queries.length} held-out queries`);
console.log('| set | vectors | search | p50 ms | recall@10 |\n|---|---|---|---|---|');
const timed = (qs: Float32Array[], fn: (q: Float32Array) => unknown) => {
  const ms = qs.map((q) => {
    const t = performance.now();
    fn(q);
    return performance.now() - t;
  });
  return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)];
};
const live = (q: Float32Array) => vi.knn('chunk', 'agent', q, K).map((h) => h.rowid);
live(queries[0]); // starts loading the mirror
await vi.mirrorLoaded('chunk', 'agent', 512);
console.log(
  `| real lines | ${stored.length} | in-memory int8 scan + re-rank | ${timed(queries, live).toFixed(2)} | ${recallOf(live, queries, truthOf).toFixed(3)} |`,
);
// The small-scope path: vec0's own search over the int8 codes the read model keeps (query quantized too).
const db0 = new Database(':memory:');
sqliteVec.load(db0);
const vi0 = new VectorIndex(db0, { mirrorAt: Number.POSITIVE_INFINITY });
db0.transaction(() => {
  stored.forEach((v, i) => vi0.put('chunk', i + 1, 'agent', v));
  vi0.flush();
})();
const viaVec0 = (q: Float32Array) => vi0.knn('chunk', 'agent', q, K).map((h) => h.rowid);
console.log(
  `| real lines | ${stored.length} | vec0 int8 (small scopes) | ${timed(queries, viaVec0).toFixed(2)} | ${recallOf(viaVec0, queries, truthOf).toFixed(3)} |`,
);

/*
 * A 100k set shaped like real text: the embedder is too slow to embed 100k lines here (~60 texts/s),
 * so each vector is a random blend of two or three real ones plus a little noise, normalised. Neighbours
 * are then real-looking near-ties, harder for int8 than separated synthetic clusters.
 */
const BIG = Number(process.env.BENCH_BIG ?? 100_000);
const { rand, gauss } = seededRandom(42);
const blend = () => {
  const parts = 2 + Math.floor(rand() * 2);
  const v = new Float32Array(512);
  for (let p = 0; p < parts; p++) {
    const src = stored[Math.floor(rand() * stored.length)];
    const w = rand();
    for (let d = 0; d < 512; d++) v[d] += w * src[d];
  }
  for (let d = 0; d < 512; d++) v[d] += 0.01 * gauss();
  return unit(v);
};
const big = Array.from({ length: BIG }, blend);
db.exec(`CREATE VIRTUAL TABLE exact_big USING vec0(embedding float[512] distance_metric=cosine)`);
const insBig = db.prepare('INSERT INTO exact_big(rowid, embedding) VALUES (?, ?)');
db.transaction(() => {
  big.forEach((v, i) => {
    vi.put('chunk', 1_000_000 + i, 'big', v);
    insBig.run(BigInt(1_000_000 + i), bytes(v));
  });
  vi.flush();
})();
const exactBig = db.prepare('SELECT rowid FROM exact_big WHERE embedding MATCH ? AND k = ?').pluck();
const truthBig = (q: Float32Array) => (exactBig.all(bytes(q), K) as (number | bigint)[]).map(Number);
const liveBig = (q: Float32Array) => vi.knn('chunk', 'big', q, K).map((h) => h.rowid);
liveBig(queries[0]); // starts loading the mirror
await vi.mirrorLoaded('chunk', 'big', 512);
console.log(
  `| blends of real vectors | ${BIG.toLocaleString('en')} | in-memory int8 scan + re-rank | ${timed(queries, liveBig).toFixed(2)} | ${recallOf(liveBig, queries, truthBig).toFixed(3)} |`,
);
console.log(`| blends of real vectors | ${BIG.toLocaleString('en')} | sqlite-vec brute force (float) | ${timed(queries, truthBig).toFixed(2)} | 1 |`);
