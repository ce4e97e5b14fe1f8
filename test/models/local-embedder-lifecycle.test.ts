import { afterEach, describe, expect, it } from 'vitest';
import { EmbedderClosedError, LocalEmbeddingWorker } from '../../plugins/local/local-embedder.ts';
import { LocalProvider } from '../../plugins/local/index.ts';
import { ModelError } from '../../src/models/provider.ts';

// The local embedder's worker holds ~200 MB (USE lite on TensorFlow.js); it ends when idle and comes
// back on the next call, and once closed it never starts again. A stand-in worker answers instantly.
const workerUrl = new URL('./fixtures/instant-embedding-worker.mjs', import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean, ms = 5_000) => {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(5);
  }
};

describe('local embedding worker life cycle', () => {
  const open: LocalEmbeddingWorker[] = [];
  const make = (idleMs: number) => {
    const w = new LocalEmbeddingWorker({ idleMs, workerUrl });
    open.push(w);
    return w;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((w) => w.close()));
  });

  it('ends the worker after the idle period and starts a fresh one on the next call', async () => {
    const w = make(50);
    const [a] = await w.embed(['hello']);
    expect(w.alive).toBe(true);
    await until(() => !w.alive);
    const [b] = await w.embed(['hello']);
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]); // another thread answered
    expect(w.started).toBe(2);
  });

  it('keeps a worker busy past the idle period: a request in flight is answered by the worker that took it', async () => {
    const w = make(30);
    const slow = w.embed(['wait:200']);
    await sleep(100);
    expect(w.alive).toBe(true);
    const [v] = await slow;
    expect(v[0]).toBe('wait:200'.length);
    expect(w.started).toBe(1);
  });

  it('serves a request arriving while an idle worker is ending with a new worker', async () => {
    const w = make(20);
    const [first] = await w.embed(['x']);
    await until(() => !w.alive); // detached; its terminate() is still under way
    const [again] = await w.embed(['xy']);
    expect(again[0]).toBe(2);
    expect(again[1]).not.toBe(first[1]);
  });

  it('idleMs 0 keeps the worker', async () => {
    const w = make(0);
    await w.embed(['x']);
    await sleep(100);
    expect(w.alive).toBe(true);
  });

  it('close() fails waiting calls with EmbedderClosedError and never starts a worker again', async () => {
    const w = make(1_000);
    const waiting = w.embed(['wait:5000']);
    await sleep(20);
    await w.close();
    await expect(waiting).rejects.toBeInstanceOf(EmbedderClosedError);
    await expect(w.embed(['after'])).rejects.toBeInstanceOf(EmbedderClosedError);
    expect(w.started).toBe(1);
    expect(w.alive).toBe(false);
  });
});

describe('local provider once closed', () => {
  it('refuses to embed with an error the model-call layer does not retry, without loading the model', async () => {
    // Before: the call started a new worker (and the model) after close — on SIGTERM, the retry of
    // an in-flight embedding held the server open for seconds.
    const p = new LocalProvider();
    await p.close();
    const started = Date.now();
    const err = await p.embed(['after close']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).retryable).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
