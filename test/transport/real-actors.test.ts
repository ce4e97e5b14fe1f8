import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { connectWs } from '../support/ws-client.ts';

/**
 * The transport with the real actor system (src/actors) and model registry (src/models, openai
 * provider → the instant fake OpenAI server): the agent's reply streams as reply.delta frames and
 * arrives as a message; the OpenAI endpoint streams those deltas as SSE.
 */
let t: TestServer;
let api: ApiClient;
let token: string;
let agentId: string;

beforeAll(async () => {
  t = await startTestServer({}, { actors: 'real' });
  api = apiClient(t.url);
  token = (await api.login('admin', t.adminPassword)).accessToken;
  agentId = (await api.post('/api/v1/agents', { name: 'Eliza', bio: 'helpful' }, { token })).body.agent.id;
}, 30_000);
afterAll(async () => t?.close());

describe('transport with the real actor system', () => {
  it('a WebSocket message gets reply.delta frames for it, then the agent’s message', async () => {
    const room = (await api.post('/api/v1/rooms', { name: 'live', agentIds: [agentId] }, { token })).body.room;
    const s = await connectWs(t.wsUrl, token);
    s.send({ type: 'subscribe', roomId: room.id });
    await s.next((f) => f.type === 'subscribed');
    s.send({ type: 'message', roomId: room.id, text: 'hello agent', clientMessageId: 'live-1' });
    const ack = await s.next((f) => f.type === 'ack');
    const reply = await s.next((f) => f.type === 'message' && f.message.authorKind === 'agent', 10_000);
    expect(reply.message).toMatchObject({ authorId: agentId, inReplyTo: ack.messageId });
    const deltas = s.frames.filter((f) => f.type === 'reply.delta');
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.every((d) => d.replyTo === ack.messageId && d.agentId === agentId && d.roomId === room.id)).toBe(true);
    expect(deltas.map((d) => d.delta).join('').length).toBeGreaterThan(0);
    s.close();
  });

  it('the openai client streams the real agent’s reply', async () => {
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: token, maxRetries: 0, timeout: 15_000 });
    const stream = await client.chat.completions.create({ model: 'Eliza', stream: true, messages: [{ role: 'user', content: 'stream please' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toContain('stream please');
    const rooms = (await api.get('/api/v1/rooms', { token })).body.rooms;
    const direct = rooms.find((r: any) => r.name === 'chat with Eliza');
    const msgs = (await api.get(`/api/v1/rooms/${direct.id}/messages`, { token })).body.messages;
    expect(msgs.at(-1).text).toBe(text);
  });

  it('reports the token usage the turn recorded (the fake model counts 11 prompt tokens), streamed only when asked', async () => {
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: token, maxRetries: 0, timeout: 15_000 });
    const r = await client.chat.completions.create({ model: 'Eliza', messages: [{ role: 'user', content: 'count my tokens' }] });
    expect(r.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: expect.any(Number) });
    expect(r.usage!.completion_tokens).toBeGreaterThan(0);
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    const chunks: any[] = [];
    for await (const c of await client.chat.completions.create({
      model: 'Eliza',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'and now streamed' }],
    }))
      chunks.push(c);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 11 } });
    const plain: any[] = [];
    for await (const c of await client.chat.completions.create({ model: 'Eliza', stream: true, messages: [{ role: 'user', content: 'no usage' }] }))
      plain.push(c);
    expect(plain.some((c) => c.usage)).toBe(false);
  });
});
