import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient } from '../support/http-client.ts';

const onChronicle = process.env.TRANSPORT_BACKEND === 'chronicle';
let t: TestServer;
let client: OpenAI;
let token: string;
let agentId: string;

beforeAll(async () => {
  t = await startTestServer({}, { silentAgents: ['Mute'], replyTimeoutMs: 500 });
  const api = apiClient(t.url);
  token = (await api.register('oa-user')).accessToken;
  const admin = (await api.login('admin', t.adminPassword)).accessToken;
  agentId = (await api.post('/api/v1/agents', { name: 'Echo', bio: 'echoes' }, { token: admin })).body.agent.id;
  await api.post('/api/v1/agents', { name: 'Mute', bio: 'never answers' }, { token: admin });
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: token, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => t?.close());

describe('OpenAI-compatible endpoint with the official openai client', () => {
  it('lists the agents as models', async () => {
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['Echo', 'Mute']));
    expect(models.data[0]).toMatchObject({ object: 'model', owned_by: 'chronicle' });
  });

  it('chat.completions.create returns the agent’s reply; without `user`, calls share the caller’s direct room with the agent', async () => {
    const r = await client.chat.completions.create({
      model: 'Echo',
      messages: [
        { role: 'system', content: 'joins the character’s prompt (see openai-clients.test.ts)' },
        { role: 'user', content: 'earlier' },
        { role: 'assistant', content: 'earlier answer' },
        { role: 'user', content: 'what is new?' },
      ],
    });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('Echo');
    expect(r.choices[0].message).toMatchObject({ role: 'assistant', content: expect.stringContaining('what is new?') });
    expect(r.choices[0].finish_reason).toBe('stop');
    // Only the last user message was posted (the rest rides on it as `request`); a second call (by agent id) lands in the same room.
    await client.chat.completions.create({ model: agentId, messages: [{ role: 'user', content: 'again' }] });
    const api = apiClient(t.url);
    const rooms = (await api.get('/api/v1/rooms', { token })).body.rooms;
    expect(rooms).toHaveLength(1);
    const msgs = (await api.get(`/api/v1/rooms/${rooms[0].id}/messages`, { token })).body.messages;
    expect(msgs.map((m: any) => m.authorKind)).toEqual(['user', 'agent', 'user', 'agent']);
    expect(msgs[0].text).toBe('what is new?');
    expect(msgs[1].text).toBe(r.choices[0].message.content);
    expect(msgs[2].text).toBe('again');
  });

  it('stream: true gives SSE chunks in OpenAI format built from reply.delta, ending with [DONE]', async () => {
    const stream = await client.chat.completions.create({ model: 'Echo', stream: true, messages: [{ role: 'user', content: 'stream me please' }] });
    const parts: string[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      parts.push(chunk.choices[0]?.delta?.content ?? '');
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(parts.join('')).toContain('stream me please');
    expect(parts.filter(Boolean).length).toBeGreaterThan(1);
    expect(finish).toBe('stop');
  });

  it('an unknown model → 404 in OpenAI’s error shape', async () => {
    const err = await client.chat.completions.create({ model: 'nobody', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.status).toBe(404);
    expect(err.error).toMatchObject({ message: expect.any(String), type: expect.any(String), code: 'model_not_found' });
  });

  it('a bad token → 401 (AuthenticationError); bad input → 400 in OpenAI’s shape', async () => {
    const bad = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'nope', maxRetries: 0 });
    expect(await bad.models.list().catch((e) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
    const err = await client.chat.completions.create({ model: 'Echo', messages: [{ role: 'assistant', content: 'no user message' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('user message') });
  });

  // Silent agents exist only in the in-memory harness (TRANSPORT_BACKEND=chronicle runs real agents).
  it.skipIf(onChronicle)('an agent that never answers → 504 after the reply timeout, not a hang', async () => {
    const err = await client.chat.completions.create({ model: 'Mute', messages: [{ role: 'user', content: 'hello?' }] }).catch((e) => e);
    expect(err.status).toBe(504);
  });

  it.skipIf(onChronicle)('a client retrying after a timeout (as LangChain does) posts its question once', async () => {
    const ask = () =>
      client.chat.completions
        .create({
          model: 'Mute',
          user: 'retrying',
          messages: [
            { role: 'system', content: 'JSON only' },
            { role: 'user', content: 'are you there?' },
          ],
        })
        .catch((e) => e);
    for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(504);
    const posted = (await t.store.readAll({ limit: 10_000 })).filter((e) => e.type === 'message.posted' && e.data.text === 'are you there?');
    expect(posted).toHaveLength(1);
  });

  it.skipIf(onChronicle)('responses: an agent that never answers → 504, or response.failed at the end of a stream', async () => {
    const err = await client.responses.create({ model: 'Mute', input: 'hello?' }).catch((e) => e);
    expect(err.status).toBe(504);
    const stream = await client.responses.create({ model: 'Mute', input: 'hello again?', stream: true });
    const events: any[] = [];
    for await (const e of stream) events.push(e);
    expect(events[0].type).toBe('response.created');
    expect(events.at(-1)).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'timeout' } } });
  });

  it.skipIf(onChronicle)('shutting down ends a waiting completion with 503 at once instead of holding the process', async () => {
    const local = await startTestServer({}, { silentAgents: ['Mute'], replyTimeoutMs: 60_000 });
    const l = apiClient(local.url);
    const tok = (await l.register('oa-down')).accessToken;
    const admin = (await l.login('admin', local.adminPassword)).accessToken;
    await l.post('/api/v1/agents', { name: 'Mute', bio: 'never answers' }, { token: admin });
    const c = new OpenAI({ baseURL: `${local.url}/v1`, apiKey: tok, maxRetries: 0, timeout: 10_000 });
    const pending = c.chat.completions.create({ model: 'Mute', messages: [{ role: 'user', content: 'anyone?' }] }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await local.close();
    const err = await pending;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.status === 503 || err instanceof OpenAI.APIConnectionError).toBe(true);
  });
});
