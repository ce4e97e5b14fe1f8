import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { z } from 'zod';
import { ModelError } from '../../src/models/provider.ts';
import type { ModelProvider, TextStreamChunk, ChatMessage } from '../../src/models/provider.ts';
import { ResilientProvider } from '../../src/models/resilient.ts';
import type { FakeServer } from '../support/fake-model-servers.ts';

/**
 * The one suite every ModelProvider runs. Remote providers run it against a fake server on
 * 127.0.0.1 speaking their wire format, with faults injected; the local provider (no server) runs
 * the behaviour half.
 */
export interface ContractSubject {
  provider: ModelProvider;
  /** Present for providers behind a fake server: enables the fault half. */
  server?: FakeServer;
  /** Exact object the fake server answers JSON requests with. */
  expectedObject?: unknown;
  close(): Promise<void>;
}

const messages = (text: string): ChatMessage[] => [
  { role: 'system', content: 'You are a test assistant.' },
  { role: 'user', content: text },
];

const personSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'number' } },
  required: ['name', 'age'],
};

async function collect(stream: AsyncIterable<TextStreamChunk>): Promise<{ chunks: TextStreamChunk[]; error?: unknown }> {
  const chunks: TextStreamChunk[] = [];
  try {
    for await (const c of stream) chunks.push(c);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks };
}

async function rejection(p: Promise<unknown>): Promise<ModelError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error('expected a ModelError, the call succeeded');
}

export function runProviderContract(label: string, setup: () => Promise<ContractSubject>): void {
  describe(`ModelProvider contract: ${label}`, () => {
    let s: ContractSubject;
    beforeAll(async () => {
      s = await setup();
    }, 30_000);
    afterAll(async () => {
      await s?.close();
    });
    const resilient = (onRetry?: () => void) => new ResilientProvider(s.provider, { retries: 2, baseDelayMs: 1, maxDelayMs: 5, onRetry });

    it('generates text that answers the user, with model and token usage', async () => {
      const r = await s.provider.generateText({ messages: messages('hello there') });
      expect(r.text.trim().length).toBeGreaterThan(0);
      expect(typeof r.model).toBe('string');
      expect(r.model.length).toBeGreaterThan(0);
      expect(r.usage.promptTokens).toBeGreaterThan(0);
      expect(r.usage.completionTokens).toBeGreaterThan(0);
      if (s.server) expect(r.text).toContain('hello there');
    });

    it('streams deltas then exactly one done whose text is the deltas joined', async () => {
      const { chunks, error } = await collect(s.provider.streamText({ messages: messages('tell me a longer story please') }));
      expect(error).toBeUndefined();
      const deltas = chunks.filter((c) => c.type === 'delta');
      const dones = chunks.filter((c) => c.type === 'done');
      expect(deltas.length).toBeGreaterThan(1);
      expect(dones).toHaveLength(1);
      expect(chunks.at(-1)?.type).toBe('done');
      const done = dones[0] as Extract<TextStreamChunk, { type: 'done' }>;
      expect(done.result.text).toBe(deltas.map((d) => (d as { text: string }).text).join(''));
      expect(done.result.usage.completionTokens).toBeGreaterThan(0);
    });

    it('generates a JSON object that satisfies the schema', async () => {
      const r = await s.provider.generateObject({ messages: messages('who wrote the first program?'), schema: personSchema });
      expect(z.fromJSONSchema(personSchema as never).safeParse(r.object).success).toBe(true);
      if (s.expectedObject !== undefined) expect(r.object).toEqual(s.expectedObject);
    });

    it('embeds a batch in order (same text, same vector) or refuses with unsupported', async () => {
      if (!s.provider.capabilities.embeddings) {
        expect((await rejection(s.provider.embed(['a']))).code).toBe('unsupported');
        return;
      }
      const r = await s.provider.embed(['the cat sat', 'quantum chromodynamics', 'the cat sat']);
      expect(r.vectors).toHaveLength(3);
      expect(r.vectors[0]).toBeInstanceOf(Float32Array);
      expect(r.vectors[0].length).toBeGreaterThan(0);
      expect(r.vectors[1].length).toBe(r.vectors[0].length);
      expect(Array.from(r.vectors[2])).toEqual(Array.from(r.vectors[0]));
      expect(Array.from(r.vectors[1])).not.toEqual(Array.from(r.vectors[0]));
      expect((await s.provider.embed([])).vectors).toEqual([]);
    });

    it('refuses at once with aborted when the signal is already aborted', async () => {
      const ac = new AbortController();
      ac.abort();
      const before = s.server?.requests.length;
      expect((await rejection(s.provider.generateText({ messages: messages('x'), signal: ac.signal }))).code).toBe('aborted');
      const { error } = await collect(s.provider.streamText({ messages: messages('x'), signal: ac.signal }));
      expect((error as ModelError).code).toBe('aborted');
      if (s.server) expect(s.server.requests.length).toBe(before);
    });

    describe('faults (fake server)', () => {
      const server = () => s.server!;
      const skip = () => !s.server;

      it('429 with retry-after: rate_limited with retryAfterMs; the resilient wrapper waits and succeeds', async (ctx) => {
        if (skip()) return ctx.skip();
        server().faults.push({ kind: 'rate_limit', retryAfterS: 2 });
        const e = await rejection(s.provider.generateText({ messages: messages('x') }));
        expect(e.code).toBe('rate_limited');
        expect(e.retryable).toBe(true);
        expect(e.retryAfterMs).toBe(2000);
        server().faults.push({ kind: 'rate_limit', retryAfterS: 0 });
        const delays: number[] = [];
        const p = new ResilientProvider(s.provider, { retries: 2, baseDelayMs: 1, onRetry: (i) => delays.push(i.delayMs) });
        const n = server().requests.length;
        expect((await p.generateText({ messages: messages('after limit') })).text).toContain('after limit');
        expect(server().requests.length - n).toBe(2);
        expect(delays).toEqual([0]);
      });

      it('500: unavailable and retryable; the resilient wrapper retries it', async (ctx) => {
        if (skip()) return ctx.skip();
        server().faults.push({ kind: 'server_error' });
        expect((await rejection(s.provider.generateText({ messages: messages('x') }))).code).toBe('unavailable');
        server().faults.push({ kind: 'server_error', status: 503 }, { kind: 'server_error' });
        const n = server().requests.length;
        expect((await resilient().generateText({ messages: messages('third time') })).text).toContain('third time');
        expect(server().requests.length - n).toBe(3);
      });

      it('400 and 401 are not retried', async (ctx) => {
        if (skip()) return ctx.skip();
        server().faults.push({ kind: 'bad_request' });
        let n = server().requests.length;
        expect((await rejection(resilient().generateText({ messages: messages('x') }))).code).toBe('bad_request');
        expect(server().requests.length - n).toBe(1);
        server().faults.push({ kind: 'unauthorized' });
        n = server().requests.length;
        expect((await rejection(resilient().generateText({ messages: messages('x') }))).code).toBe('auth');
        expect(server().requests.length - n).toBe(1);
      });

      it('a server that never answers ends in timeout', async (ctx) => {
        if (skip()) return ctx.skip();
        server().faults.push({ kind: 'hang' });
        const e = await rejection(s.provider.generateText({ messages: messages('x'), timeoutMs: 150 }));
        expect(e.code).toBe('timeout');
      });

      it('abort during a call ends it with aborted', async (ctx) => {
        if (skip()) return ctx.skip();
        server().faults.push({ kind: 'hang' });
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 50);
        expect((await rejection(resilient().generateText({ messages: messages('x'), signal: ac.signal }))).code).toBe('aborted');
      });

      it('a malformed body is an error, not a crash or an empty answer', async (ctx) => {
        if (skip()) return ctx.skip();
        server().faults.push({ kind: 'malformed' });
        const e = await rejection(s.provider.generateText({ messages: messages('x') }));
        expect(['malformed', 'unavailable']).toContain(e.code);
        expect(e.retryable).toBe(true);
      });

      it('an answer that is not JSON makes generateObject fail with malformed', async (ctx) => {
        if (skip()) return ctx.skip();
        server().faults.push({ kind: 'not_json' });
        expect((await rejection(s.provider.generateObject({ messages: messages('x'), schema: personSchema }))).code).toBe('malformed');
      });

      it('a stream cut after the first delta errors after that delta and is not retried', async (ctx) => {
        if (skip()) return ctx.skip();
        server().faults.push({ kind: 'cut', afterDeltas: 1 });
        const n = server().requests.length;
        const { chunks, error } = await collect(resilient().streamText({ messages: messages('one two three four') }));
        expect(chunks.length).toBeGreaterThanOrEqual(1);
        expect(chunks.every((c) => c.type === 'delta')).toBe(true);
        expect(error).toBeInstanceOf(ModelError);
        expect((error as ModelError).code).toBe('unavailable');
        expect(server().requests.length - n).toBe(1);
      });

      it('a stream that fails before its first delta is retried', async (ctx) => {
        if (skip()) return ctx.skip();
        server().faults.push({ kind: 'cut', afterDeltas: 0 });
        const n = server().requests.length;
        const { chunks, error } = await collect(resilient().streamText({ messages: messages('five six seven') }));
        expect(error).toBeUndefined();
        expect(chunks.at(-1)?.type).toBe('done');
        expect(server().requests.length - n).toBe(2);
      });

      it('a failing embeddings endpoint yields a ModelError', async (ctx) => {
        if (skip() || !s.provider.capabilities.embeddings) return ctx.skip();
        server().faults.push({ kind: 'server_error' });
        expect((await rejection(s.provider.embed(['x']))).code).toBe('unavailable');
      });
    });
  });
}
