/**
 * Which compact form the log should keep embeddings in: recall@10 of exact cosine search over vectors
 * stored as int8 + scale (QuantizedVector) and as float16, against float32, on real sentence embeddings
 * (the local embedder, USE lite 512 d, over the lines of this repository's Markdown files), with the
 * bytes each form costs in an event payload.
 *
 *   npx tsx bench/vectors-log-format.ts      (BENCH_N=2000)
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { LocalEmbeddingWorker } from '../plugins/local/local-embedder.ts';
import { encodeData } from '../src/events/codec.ts';
import { QuantizedVector } from '../src/events/quantized-vector.ts';

const N = Number(process.env.BENCH_N ?? 2000);
const QUERIES = 100;
const K = 10;

function markdown(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) markdown(p, out);
    else if (name.endsWith('.md')) out.push(p);
  }
  return out;
}
const lines = [
  ...new Set(
    markdown('.')
      .flatMap((f) => readFileSync(f, 'utf8').split(/\n|(?<=\.) /))
      .map((l) => l.replace(/[|#*`>-]/g, ' ').trim())
      .filter((l) => l.length > 30 && /[a-z]{4}/.test(l)),
  ),
];
const texts = lines.slice(0, N + QUERIES);

const embedder = new LocalEmbeddingWorker();
const vectors: Float32Array[] = [];
for (let i = 0; i < texts.length; i += 64) vectors.push(...(await embedder.embed(texts.slice(i, i + 64))));
await embedder.close();
const queries = vectors.filter((_, i) => i % Math.ceil(vectors.length / QUERIES) === 0);
const stored = vectors.filter((_, i) => i % Math.ceil(vectors.length / QUERIES) !== 0);

function toFloat16(v: Float32Array): Float32Array {
  // Round-to-nearest float16 through its bit pattern (no Float16Array in Node 20).
  const out = new Float32Array(v.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < v.length; i++) {
    f[0] = v[i];
    const x = u[0];
    // Keep 10 mantissa bits (round half to even on the 13 dropped); float16's range covers embeddings.
    const dropped = x & 0x1fff;
    let kept = x & ~0x1fff;
    if (dropped > 0x1000 || (dropped === 0x1000 && (kept & 0x2000) !== 0)) kept += 0x2000;
    u[0] = kept >>> 0;
    out[i] = f[0];
  }
  return out;
}

const cosine = (a: Float32Array, b: Float32Array) => {
  let d = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) (d += a[i] * b[i]), (na += a[i] * a[i]), (nb += b[i] * b[i]);
  return d / Math.sqrt(na * nb);
};
const topK = (q: Float32Array, set: Float32Array[]) =>
  set
    .map((v, i) => [cosine(q, v), i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, K)
    .map(([, i]) => i);

function recall(form: (v: Float32Array) => Float32Array): number {
  const converted = stored.map(form);
  let hit = 0;
  for (const q of queries) {
    const truth = new Set(topK(q, stored));
    for (const i of topK(q, converted)) if (truth.has(i)) hit++;
  }
  return hit / (queries.length * K);
}

const payload = (v: Float32Array) =>
  encodeData({ messageId: '01900000-0000-7000-8000-000000000000', roomId: '01900000-0000-7000-8000-000000000001', model: 'use-lite', vector: v }).length;
const result = {
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  stored: stored.length,
  queries: queries.length,
  dims: stored[0].length,
  k: K,
  float32: { recallAt10: 1, payloadBytes: payload(stored[0]) },
  float16: {
    recallAt10: recall(toFloat16),
    payloadBytes: 'n/a (no codec form; 2 bytes per dimension ≈ payload of ' + Math.round(payload(stored[0]) / 2 + 60) + ')',
  },
  int8: { recallAt10: recall((v) => QuantizedVector.quantize(v)), payloadBytes: payload(QuantizedVector.quantize(stored[0])) },
};
console.log(JSON.stringify(result, null, 2));
