import { describe, expect, it } from 'vitest';
import { BatchingEmbedder } from '../../src/models/embedder.ts';
import { ScriptedProvider, err } from './scripted-provider.ts';

describe('batching embedder', () => {
  it("collects concurrent requests into one provider call and keeps each caller's order", async () => {
    const inner = new ScriptedProvider();
    const e = new BatchingEmbedder(inner, { windowMs: 5 });
    const [a, b, c] = await Promise.all([e.embed(['one', 'three']), e.embed(['fifty']), e.embed(['x'])]);
    expect(inner.embedCalls).toEqual([['one', 'three', 'fifty', 'x']]);
    expect(a.map((v) => v[0])).toEqual([3, 5]);
    expect(b[0][0]).toBe(5);
    expect(c[0][0]).toBe(1);
    expect(e.model).toBe('scripted-model');
  });

  it('identical text is embedded once: in one batch, across batches (cache), and while in flight', async () => {
    const inner = new ScriptedProvider();
    const e = new BatchingEmbedder(inner, { windowMs: 1 });
    await Promise.all([e.embed(['same', 'same']), e.embed(['same'])]);
    await e.embed(['same']);
    expect(inner.embedCalls).toEqual([['same']]);
    expect(e.providerCalls).toBe(1);
  });

  it('splits into batches of at most maxBatch', async () => {
    const inner = new ScriptedProvider();
    const e = new BatchingEmbedder(inner, { windowMs: 5, maxBatch: 3 });
    const texts = Array.from({ length: 7 }, (_, i) => `t${i}`);
    const out = await e.embed(texts);
    expect(out).toHaveLength(7);
    expect(inner.embedCalls.map((b) => b.length)).toEqual([3, 3, 1]);
  });

  it('evicts least recently used vectors beyond the cache size', async () => {
    const inner = new ScriptedProvider();
    const e = new BatchingEmbedder(inner, { windowMs: 0, cacheSize: 2 });
    await e.embed(['a']);
    await e.embed(['b']);
    await e.embed(['a']); // refreshes a
    await e.embed(['c']); // evicts b
    await e.embed(['a']);
    await e.embed(['b']);
    expect(inner.embedCalls.flat()).toEqual(['a', 'b', 'c', 'b']);
  });

  it('a failed batch rejects its callers and is not cached', async () => {
    const inner = new ScriptedProvider();
    const e = new BatchingEmbedder(inner, { windowMs: 0 });
    inner.script = [err('unavailable', true)];
    await expect(e.embed(['z'])).rejects.toMatchObject({ code: 'unavailable' });
    expect((await e.embed(['z']))[0][0]).toBe(1);
    expect(inner.calls).toBe(2);
  });

  it('an aborted caller stops waiting; the shared batch still completes for the others', async () => {
    const inner = new ScriptedProvider();
    const e = new BatchingEmbedder(inner, { windowMs: 20 });
    const ac = new AbortController();
    const aborted = e.embed(['p'], { signal: ac.signal });
    const other = e.embed(['p', 'q']);
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' });
    expect((await other).length).toBe(2);
    expect(inner.embedCalls).toEqual([['p', 'q']]);
  });

  it('refuses a provider without embeddings', () => {
    const inner = new ScriptedProvider();
    (inner as { capabilities: { text: boolean; embeddings: boolean } }).capabilities = { text: true, embeddings: false };
    expect(() => new BatchingEmbedder(inner)).toThrow(/no embeddings/);
  });
});
