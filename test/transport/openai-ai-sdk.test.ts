import { createOpenAI } from '@ai-sdk/openai';
import { embedMany, generateObject, generateText, streamText } from 'ai';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient } from '../support/http-client.ts';

/**
 * The Vercel AI SDK's default OpenAI provider (`createOpenAI()(model)` speaks /v1/responses) against
 * the endpoint, through real sockets, on the real actor system with the fake model behind it.
 */
let t: TestServer;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  t = await startTestServer({}, { actors: 'real' });
  const api = apiClient(t.url);
  const admin = (await api.login('admin', t.adminPassword)).accessToken;
  await api.post('/api/v1/agents', { name: 'Eliza', bio: 'helpful' }, { token: admin });
  const token = (await api.register('ai-sdk')).accessToken;
  openai = createOpenAI({ baseURL: `${t.url}/v1`, apiKey: token });
}, 30_000);
afterAll(async () => t?.close());

describe('Vercel AI SDK with the default OpenAI provider', () => {
  it('generateText with a system prompt and maxOutputTokens', async () => {
    const from = t.modelServer!.requests.length;
    const r = await generateText({
      model: openai('Eliza'),
      system: 'Answer like a pirate.',
      prompt: 'hello from the AI SDK',
      maxOutputTokens: 64,
      maxRetries: 0,
    });
    expect(r.text).toContain('hello from the AI SDK');
    expect(r.finishReason).toBe('stop');
    const sent = t.modelServer!.requests.slice(from).find((q) => q.path.endsWith('/chat/completions'))!;
    expect((sent.body.messages as { content: string }[])[0].content).toContain('Answer like a pirate.');
    expect(sent.body.max_completion_tokens).toBe(64);
  });

  it('streamText streams the reply', async () => {
    const r = streamText({ model: openai('Eliza'), prompt: 'stream through the AI SDK', maxRetries: 0 });
    let text = '';
    for await (const d of r.textStream) text += d;
    expect(text).toContain('stream through the AI SDK');
    expect(await r.text).toBe(text);
  });

  it('generateObject gets an object matching its schema', async () => {
    const r = await generateObject({ model: openai('Eliza'), schema: z.object({ name: z.string(), age: z.number() }), prompt: 'who?', maxRetries: 0 });
    expect(r.object).toEqual({ name: 'Ada', age: 36 });
  });

  it('embedMany on the agent’s embedder', async () => {
    const r = await embedMany({ model: openai.textEmbeddingModel('Eliza'), values: ['a cat', 'a dog'], maxRetries: 0 });
    expect(r.embeddings).toHaveLength(2);
    expect(r.embeddings[0]).toHaveLength(8);
  });
});
