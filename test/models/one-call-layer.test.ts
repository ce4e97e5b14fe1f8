import { describe, expect, it } from 'vitest';
import { ModelError, type ModelCallRecord, type ModelProvider, type TextStreamChunk } from '../../src/models/provider.ts';
import { ResilientProvider, withResilience } from '../../src/models/resilient.ts';
import { withCallDefaults } from '../../src/models/call-defaults.ts';
import { BatchingEmbedder, withBatching } from '../../src/models/embedder.ts';
import { ScriptedProvider, err } from './scripted-provider.ts';
import { createModelRegistry } from '../../src/models/registry.ts';
import { readSettings } from '../../src/settings/settings.ts';
import { builtInProviders } from '../../plugins/built-in.ts';

const msgs = [{ role: 'user' as const, content: 'hi' }];

describe('the one model-call layer', () => {
  it('wraps once: a resilient provider (or a view of one) is not wrapped again, so its retry budget applies once', async () => {
    const inner = new ScriptedProvider();
    inner.script = [err('unavailable', true), err('unavailable', true), err('unavailable', true), err('unavailable', true)];
    const once = new ResilientProvider(inner, { retries: 1, baseDelayMs: 1 });
    const again = withResilience(withCallDefaults(once, {}), { retries: 3, baseDelayMs: 1 });
    await expect(again.generateText({ messages: msgs })).rejects.toMatchObject({ code: 'unavailable' });
    expect(inner.calls).toBe(2);
  });

  it("the registry's providers, seen through a character, are already behind the layer: the turn does not wrap them again", () => {
    const registry = createModelRegistry(readSettings({ MODEL_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }), { factories: builtInProviders });
    const p = registry.forCharacter({ name: 'Ada', bio: [], settings: { TEXT_LARGE_MODEL: 'x' } } as never);
    expect(p.resilient).toBe(true);
    expect(withResilience(p)).toBe(p);
    void registry.close();
  });

  it("tells the caller's record of every attempt, and the observer once per call", async () => {
    const inner = new ScriptedProvider();
    inner.script = [err('rate_limited', true)];
    const observed: ModelCallRecord[] = [];
    const attempts: ModelCallRecord[] = [];
    const p = new ResilientProvider(inner, { baseDelayMs: 1, onCall: (r) => observed.push(r) });
    await withCallDefaults(p, { record: (r) => attempts.push(r) }).generateObject({ messages: msgs, schema: {} });
    expect(attempts.map((a) => [a.kind, a.ok, a.attempts, a.error?.code])).toEqual([
      ['object', false, 1, 'rate_limited'],
      ['object', true, 2, undefined],
    ]);
    expect(observed.map((o) => [o.ok, o.attempts])).toEqual([[true, 2]]);
  });

  it('attemptTimeoutMs bounds each attempt even when the provider ignores its signal, and the attempt is retried', async () => {
    let calls = 0;
    const deaf: ModelProvider = {
      ...new ScriptedProvider('deaf'),
      name: 'deaf',
      capabilities: { text: true, embeddings: false },
      generateText: () =>
        ++calls === 1 ? new Promise(() => {}) : Promise.resolve({ text: 'late but fine', model: 'm', usage: { promptTokens: 1, completionTokens: 1 } }),
    } as unknown as ModelProvider;
    const records: ModelCallRecord[] = [];
    const p = new ResilientProvider(deaf, { baseDelayMs: 1 });
    const r = await p.generateText({ messages: msgs, attemptTimeoutMs: 30, record: (x) => records.push(x) });
    expect(r.text).toBe('late but fine');
    expect(records.map((x) => x.error?.code ?? 'ok')).toEqual(['timeout', 'ok']);
  });

  it('a stream that failed after deltas is retried only for a reader that can start over (onStreamRestart)', async () => {
    const make = () => {
      let n = 0;
      const p = new ScriptedProvider();
      p.streamText = async function* (): AsyncIterable<TextStreamChunk> {
        n++;
        yield { type: 'delta', text: 'Hel' };
        if (n === 1) throw new ModelError('unavailable', 'reset', 'scripted', true);
        yield { type: 'done', result: { text: 'Hello', model: 'm', usage: { promptTokens: 1, completionTokens: 1 } } };
      };
      return new ResilientProvider(p, { baseDelayMs: 1 });
    };
    const read = async (p: ModelProvider, restart?: () => void) => {
      for await (const c of p.streamText({ messages: msgs, ...(restart ? { onStreamRestart: restart } : {}) })) if (c.type === 'done') return c.result.text;
    };
    await expect(read(make())).rejects.toMatchObject({ code: 'unavailable' });
    let restarts = 0;
    expect(await read(make(), () => restarts++)).toBe('Hello');
    expect(restarts).toBe(1);
  });
});

describe('the one batching point', () => {
  it('withBatching does not batch a batching embedder again; a plain embedder gets one cache in front', async () => {
    const e = new BatchingEmbedder(new ScriptedProvider(), { windowMs: 1 });
    expect(withBatching(e)).toBe(e);
    let texts = 0;
    const plain = { model: 'plain', embed: async (t: string[]) => ((texts += t.length), t.map(() => new Float32Array([1]))) };
    const b = withBatching(plain, { windowMs: 1 });
    await b.embed(['a', 'b']);
    await b.embed(['a']);
    expect(texts).toBe(2);
  });

  it('background requests wait for company; a foreground request brings their batch forward', async () => {
    const inner = new ScriptedProvider();
    const e = new BatchingEmbedder(inner, { windowMs: 1, backgroundWindowMs: 10_000 });
    const bg = e.embed(['bg'], { background: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(inner.embedCalls).toEqual([]);
    await Promise.all([bg, e.embed(['fg'])]);
    expect(inner.embedCalls).toEqual([['bg', 'fg']]);
  });

  it("a batch's provider attempts are recorded once, by the first request that asked, whoever shares the batch", async () => {
    const inner = new ScriptedProvider();
    inner.script = [err('unavailable', true)];
    const e = new BatchingEmbedder(new ResilientProvider(inner, { baseDelayMs: 1 }), { windowMs: 5 });
    const first: ModelCallRecord[] = [];
    const second: ModelCallRecord[] = [];
    await Promise.all([e.embed(['a'], { record: (r) => first.push(r) }), e.embed(['b'], { record: (r) => second.push(r) })]);
    expect(first.map((r) => [r.kind, r.ok])).toEqual([
      ['embedding', false],
      ['embedding', true],
    ]);
    expect(second).toEqual([]);
  });
});
