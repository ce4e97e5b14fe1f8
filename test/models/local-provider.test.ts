import { describe, expect, it, afterAll } from 'vitest';
import { runProviderContract } from './contract.ts';
import { LocalProvider, RULES_MODEL, LOCAL_EMBEDDING_MODEL } from '../../plugins/local/index.ts';

runProviderContract('local (rules + USE lite)', async () => {
  const provider = new LocalProvider();
  return { provider, close: () => provider.close() };
});

describe('local provider', () => {
  const p = new LocalProvider();
  afterAll(() => p.close());

  it('embeds with USE lite: 512 dimensions, similar sentences closer than unrelated ones', async () => {
    const { vectors, model } = await p.embed([
      'How do I reset my password?',
      'I forgot my password and need to change it',
      'The giraffe is the tallest land animal',
    ]);
    expect(model).toBe(LOCAL_EMBEDDING_MODEL);
    expect(vectors.map((v) => v.length)).toEqual([512, 512, 512]);
    const cos = (a: Float32Array, b: Float32Array) => {
      let d = 0,
        na = 0,
        nb = 0;
      for (let i = 0; i < a.length; i++) {
        d += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
      }
      return d / Math.sqrt(na * nb);
    };
    expect(cos(vectors[0], vectors[1])).toBeGreaterThan(cos(vectors[0], vectors[2]) + 0.1);
  }, 30_000);

  it('embeds odd input (empty, unicode, very long) without failing', async () => {
    const { vectors } = await p.embed(['', '日本語のテキスト 🎉', 'word '.repeat(5000)]);
    expect(vectors).toHaveLength(3);
    for (const v of vectors) expect(v.every((x) => Number.isFinite(x))).toBe(true);
  }, 30_000);

  it('the event loop stays free while the worker embeds', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await p.embed(Array.from({ length: 64 }, (_, i) => `sentence number ${i} about something`));
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  }, 30_000);

  it('generateText answers with the rules model and streams word by word', async () => {
    const r = await p.generateText({ messages: [{ role: 'user', content: 'hello' }] });
    expect(r.model).toBe(RULES_MODEL);
    expect(r.text).toMatch(/hello|hi|hey/i);
  });

  it('stream can be aborted between words', async () => {
    const ac = new AbortController();
    const chunks: string[] = [];
    let error: unknown;
    try {
      for await (const c of p.streamText({
        messages: [{ role: 'user', content: 'I need a very long holiday somewhere warm and quiet with friends' }],
        signal: ac.signal,
      })) {
        if (c.type === 'delta') chunks.push(c.text);
        if (chunks.length === 2) ac.abort();
      }
    } catch (e) {
      error = e;
    }
    expect(chunks).toHaveLength(2);
    expect((error as { code?: string }).code).toBe('aborted');
  });

  it('generateObject returns a schema-shaped object holding the reply', async () => {
    const r = await p.generateObject({
      messages: [{ role: 'user', content: 'hi' }],
      schema: {
        type: 'object',
        properties: {
          text: { type: 'string' },
          respond: { type: 'boolean' },
          mood: { enum: ['calm', 'busy'] },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['text'],
      },
    });
    expect(r.object).toMatchObject({ respond: false, mood: 'calm', tags: [] });
    expect(typeof (r.object as { text: string }).text).toBe('string');
  });
});
