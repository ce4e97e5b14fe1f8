/**
 * Model-layer benchmarks (results in bench/RESULTS-models.md):
 *  1. the local embedder (USE lite in a worker): load time, embeddings/s one at a time, and
 *     embeddings/s when many requests go through the batching layer at once;
 *  2. the overhead the provider layer (OpenAIProvider, then + ResilientProvider) adds over a bare
 *     `openai` SDK call to the same fake server on 127.0.0.1.
 * Run: npx tsx bench/models.ts
 */
import OpenAI from 'openai';
import { LocalProvider } from '../plugins/local/index.ts';
import { OpenAIProvider } from '../plugins/openai/index.ts';
import { BatchingEmbedder } from '../src/models/embedder.ts';
import { ResilientProvider } from '../src/models/resilient.ts';
import { startFakeOpenAI } from '../test/support/fake-model-servers.ts';

const texts = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag} sentence number ${i}: the agent remembers what the user said about topic ${i % 17}.`);
const ms = (t0: number) => performance.now() - t0;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(0.5), p99: q(0.99) };
}

async function embeddings() {
  const local = new LocalProvider();
  let t0 = performance.now();
  await local.embed(['warm up']);
  const loadMs = ms(t0);

  // One at a time, straight to the provider (no batching layer).
  const single = texts(64, 'single');
  t0 = performance.now();
  for (const t of single) await local.embed([t]);
  const singlePerS = single.length / (ms(t0) / 1000);

  // One at a time through the batching layer (each waits its window, then a batch of 1).
  const e1 = new BatchingEmbedder(local, { windowMs: 5 });
  const seq = texts(64, 'sequential');
  t0 = performance.now();
  for (const t of seq) await e1.embed([t]);
  const seqBatchingPerS = seq.length / (ms(t0) / 1000);

  // 256 concurrent single-text requests (what many agents or a knowledge ingest produce) → batches of 32.
  const e2 = new BatchingEmbedder(local, { windowMs: 5, maxBatch: 32 });
  const many = texts(256, 'concurrent');
  t0 = performance.now();
  await Promise.all(many.map((t) => e2.embed([t])));
  const batchedPerS = many.length / (ms(t0) / 1000);
  const batchCalls = e2.providerCalls;

  // The same texts again: all served from the cache.
  t0 = performance.now();
  await Promise.all(many.map((t) => e2.embed([t])));
  const cachedPerS = many.length / (ms(t0) / 1000);

  await local.close();
  return { loadMs, singlePerS, seqBatchingPerS, batchedPerS, batchCalls, cachedPerS };
}

async function overhead() {
  const fake = await startFakeOpenAI();
  const sdk = new OpenAI({ baseURL: fake.url, apiKey: 'k', maxRetries: 0 });
  const provider = new OpenAIProvider({ baseURL: fake.url, apiKey: 'k', model: 'm' });
  const resilient = new ResilientProvider(provider);
  const messages = [{ role: 'user' as const, content: 'ping' }];
  // Variants run interleaved (round-robin, 100 calls each per round) so that JIT warm-up and the
  // load of a shared machine fall on all of them alike.
  const variants: [string, () => Promise<unknown>][] = [
    ['bare openai SDK, chat.completions.create', () => sdk.chat.completions.create({ model: 'm', messages })],
    ['OpenAIProvider.generateText', () => provider.generateText({ messages })],
    ['ResilientProvider(OpenAIProvider).generateText', () => resilient.generateText({ messages })],
    [
      'bare openai SDK, streamed (iterate all chunks)',
      async () => {
        const s = await sdk.chat.completions.create({ model: 'm', messages, stream: true, stream_options: { include_usage: true } });
        for await (const _ of s) void _;
      },
    ],
    [
      'ResilientProvider(OpenAIProvider).streamText',
      async () => {
        for await (const _ of resilient.streamText({ messages })) void _;
      },
    ],
  ];
  const samples = variants.map(() => [] as number[]);
  for (const [, fn] of variants) for (let i = 0; i < 50; i++) await fn(); // warm-up
  for (let round = 0; round < 8; round++) {
    for (let v = 0; v < variants.length; v++) {
      for (let i = 0; i < 100; i++) {
        const t0 = performance.now();
        await variants[v][1]();
        samples[v].push(ms(t0));
      }
    }
  }
  const rows = variants.map(([label], v) => ({ label, ...stats(samples[v]) }));
  await fake.close();
  return rows;
}

const emb = await embeddings();
console.log('local embeddings (USE lite, worker thread)');
console.log(`  first call (worker + model load): ${emb.loadMs.toFixed(0)} ms`);
console.log(`  one at a time, provider direct:    ${emb.singlePerS.toFixed(1)} embeddings/s`);
console.log(`  one at a time, via batching layer: ${emb.seqBatchingPerS.toFixed(1)} embeddings/s`);
console.log(`  256 concurrent via batching layer: ${emb.batchedPerS.toFixed(1)} embeddings/s (${emb.batchCalls} provider calls)`);
console.log(`  same 256 again (cache hits):       ${emb.cachedPerS.toFixed(0)} embeddings/s`);
console.log('\nprovider overhead vs bare SDK (fake OpenAI server on 127.0.0.1, sequential calls, ms per call)');
for (const r of await overhead()) console.log(`  ${r.label.padEnd(50)} mean ${r.mean.toFixed(3)}  p50 ${r.p50.toFixed(3)}  p99 ${r.p99.toFixed(3)}`);
console.log(`\nrss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);
