/**
 * Recall of the live split-scope search on real sentence embeddings (the local embedder, USE lite 512 d):
 * lines of the repository's Markdown files, embedded, put into ONE scope through VectorIndex with a small
 * trainAt; held-out lines as queries; truth = sqlite-vec brute force over the same vectors. Small (the
 * embedder does ~40–80 texts/s), so cells/nprobe ratios differ from the 100k case: read it as a recall check.
 *
 *   npx tsx bench/vectors-real.ts      (BENCH_N=1500 BENCH_CELLS=32)
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { LocalEmbeddingWorker } from '../plugins/local/local-embedder.ts';
import { VectorIndex, bytes } from '../src/projections/vector-index.ts';

const N = Number(process.env.BENCH_N ?? 1500);
const CELLS = Number(process.env.BENCH_CELLS ?? 32);
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
const lines = [...new Set(['.', '../shared'].flatMap((d) => markdown(d)).flatMap((f) => readFileSync(f, 'utf8').split(/\n|(?<=\.) /)).map((l) => l.replace(/[|#*`>-]/g, ' ').trim()).filter((l) => l.length > 30 && /[a-z]{4}/.test(l)))];
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
const vi = new VectorIndex(db, { trainAt: Math.floor(stored.length / 2), cells: CELLS, maxSample: 4096 });
db.transaction(() => {
  stored.forEach((v, i) => vi.put('chunk', i + 1, 'agent', v));
  vi.flush();
})();
db.exec(`CREATE VIRTUAL TABLE exact USING vec0(embedding float[512] distance_metric=cosine)`);
const ins = db.prepare('INSERT INTO exact(rowid, embedding) VALUES (?, ?)');
stored.forEach((v, i) => ins.run(BigInt(i + 1), bytes(v)));
const exact = db.prepare('SELECT rowid FROM exact WHERE embedding MATCH ? AND k = ?').pluck();

console.log(`${stored.length} vectors in one scope, split into ${CELLS} cells at put ${Math.floor(stored.length / 2)}, ${queries.length} held-out queries`);
console.log('| nprobe | share of cells | recall@10 |\n|---|---|---|');
for (const nprobe of [1, 2, 4, 8, 16]) {
  const search = new VectorIndex(db, { trainAt: Math.floor(stored.length / 2), cells: CELLS, nprobe });
  let recall = 0;
  for (const q of queries) {
    const truth = (exact.all(bytes(q), K) as (number | bigint)[]).map(Number);
    recall += search.knn('chunk', 'agent', q, K).filter((h) => truth.includes(h.rowid)).length / K;
  }
  console.log(`| ${nprobe} | ${((nprobe / CELLS) * 100).toFixed(0)} % | ${(recall / queries.length).toFixed(3)} |`);
}
