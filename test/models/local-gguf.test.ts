import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyLlamaGguf } from '../support/tiny-gguf.ts';
import { LocalProvider } from '../../plugins/local/index.ts';
import type { TextStreamChunk } from '../../src/models/provider.ts';
import { ModelError } from '../../src/models/provider.ts';

/**
 * LOCAL_MODEL_PATH through node-llama-cpp with a tiny random-weight llama GGUF written by the test:
 * plumbing, streaming, stop sequences and cancellation — not the quality of the text.
 */
describe('local provider with a GGUF model (node-llama-cpp)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chronicle-gguf-'));
  const modelPath = join(dir, 'tiny-random.gguf');
  let p: LocalProvider;
  const msgs = [{ role: 'user' as const, content: 'hello world' }];

  beforeAll(() => {
    writeTinyLlamaGguf(modelPath);
    p = new LocalProvider({ modelPath, threads: 1 });
  });
  afterAll(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates text with the model named after the file, stopping at maxTokens', async () => {
    const r = await p.generateText({ messages: msgs, maxTokens: 12 });
    expect(r.model).toBe('tiny-random');
    expect(p.modelFor('TEXT_LARGE')).toBe('tiny-random');
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.finishReason).toBe('length');
    expect(r.usage.promptTokens).toBeGreaterThan(0);
    expect(r.usage.completionTokens).toBeGreaterThan(0);
  }, 60_000);

  it('streams deltas whose concatenation is the final text; greedy decoding repeats itself', async () => {
    const chunks: TextStreamChunk[] = [];
    for await (const c of p.streamText({ messages: msgs, maxTokens: 12 })) chunks.push(c);
    const deltas = chunks.filter((c) => c.type === 'delta').map((c) => (c as { text: string }).text);
    const done = chunks.at(-1) as Extract<TextStreamChunk, { type: 'done' }>;
    expect(done.type).toBe('done');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(done.result.text);
    expect(done.result.text).toBe((await p.generateText({ messages: msgs, maxTokens: 12 })).text);
  }, 60_000);

  it('stops at a stop sequence', async () => {
    const full = (await p.generateText({ messages: msgs, maxTokens: 16 })).text;
    // The first two-character piece that does not occur earlier in the text.
    let cut = 1;
    while (cut < full.length - 2 && full.indexOf(full.slice(cut, cut + 2)) !== cut) cut++;
    const stop = full.slice(cut, cut + 2);
    expect(stop.length).toBe(2);
    const r = await p.generateText({ messages: msgs, maxTokens: 16, stopSequences: [stop] });
    expect(r.text).toBe(full.slice(0, cut));
  }, 60_000);

  it('cancels mid-stream with aborted, and the model serves the next call', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    let error: unknown;
    try {
      for await (const c of p.streamText({ messages: msgs, maxTokens: 200, signal: ac.signal })) {
        if (c.type === 'delta') {
          seen.push(c.text);
          ac.abort();
        }
      }
    } catch (e) {
      error = e;
    }
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThan(50);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).code).toBe('aborted');
    expect((await p.generateText({ messages: msgs, maxTokens: 4 })).text.length).toBeGreaterThan(0);
  }, 60_000);

  it('a missing model file fails with a ModelError, not a crash', async () => {
    const bad = new LocalProvider({ modelPath: join(dir, 'missing.gguf') });
    await expect(bad.generateText({ messages: msgs })).rejects.toBeInstanceOf(ModelError);
    await bad.close();
  }, 60_000);
});
