import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnIds } from '../../src/actors/turn/turn-ids.ts';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { connectWs } from '../support/ws-client.ts';

/**
 * Answers come from what was committed (issue 16, item 3): the ack, the REST response and the OpenAI
 * answer are built from the append result and the events passing through the fan-out; nothing just
 * written is read back (by id from the log, or from the read model).
 */
let t: TestServer;
let api: ApiClient;
let token: string;
let agentId: string;
/** Ids read back by getById, and message ids read from the read model, since the last reset. */
const logReads: string[] = [];
const viewReads: string[] = [];

beforeAll(async () => {
  t = await startTestServer({}, { actors: 'real' });
  api = apiClient(t.url);
  token = (await api.login('admin', t.adminPassword)).accessToken;
  agentId = (await api.post('/api/v1/agents', { name: 'Echo', bio: 'helpful' }, { token })).body.agent.id;
  const getById = t.store.getById.bind(t.store);
  t.store.getById = (id) => (logReads.push(id), getById(id));
  const rm = t.chronicle.readModel;
  const messageById = rm.messageById.bind(rm);
  rm.messageById = (id) => (viewReads.push(id), messageById(id));
}, 30_000);
afterAll(async () => t?.close());

const reset = () => ((logReads.length = 0), (viewReads.length = 0));

describe('answers from what was committed', () => {
  it('the WebSocket ack does not read the message back', async () => {
    const room = (await api.post('/api/v1/rooms', { name: 'ack', agentIds: [] }, { token })).body.room;
    const s = await connectWs(t.wsUrl, token);
    reset();
    s.send({ type: 'message', roomId: room.id, text: 'hello', clientMessageId: 'c-1' });
    const ack = await s.next((f) => f.type === 'ack');
    expect(ack.seq).toBe(await t.store.head());
    // postMessage returns after the ack (sent from the fan-out); give it the moment to finish.
    await new Promise((r) => setTimeout(r, 50));
    expect(logReads).not.toContain(ack.messageId);
    expect(viewReads).not.toContain(ack.messageId);
    s.close();
  });

  it('the REST response is the message as appended, not read back from the read model', async () => {
    const room = (await api.post('/api/v1/rooms', { name: 'rest', agentIds: [] }, { token })).body.room;
    reset();
    const r = await api.post('/api/v1/messages', { roomId: room.id, text: 'from rest' }, { token });
    expect(r.status).toBe(202);
    expect(r.body.message).toMatchObject({ text: 'from rest', roomId: room.id, authorKind: 'user', seq: await t.store.head() });
    expect(logReads).not.toContain(r.body.message.id);
    expect(viewReads).not.toContain(r.body.message.id);
    // The read model agrees with the answer (same event): createdAt included.
    const listed = (await api.get(`/api/v1/rooms/${room.id}/messages`, { token })).body.messages;
    expect(listed.at(-1)).toEqual(r.body.message);
  });

  it("the OpenAI answer takes the reply and its usage from the turn's events, not from reading reply.traced back", async () => {
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: token, maxRetries: 0, timeout: 15_000 });
    reset();
    const r = await client.chat.completions.create({ model: 'Echo', messages: [{ role: 'user', content: 'count my tokens' }] });
    expect(r.usage).toMatchObject({ prompt_tokens: 11 });
    expect(r.usage!.completion_tokens).toBeGreaterThan(0);
    // The turn's trace and reply went through the fan-out; the route read neither back.
    const traced = (await t.store.readAll({ types: ['reply.traced'] })).at(-1)!;
    expect(traced.type === 'reply.traced' && traced.data.agentId).toBe(agentId);
    const messageId = traced.type === 'reply.traced' ? traced.data.messageId : '';
    expect(logReads).not.toContain(turnIds.trace(agentId, messageId));
    expect(logReads).not.toContain(turnIds.reply(agentId, messageId));
    // (The turn itself still reads the caller's message by id: src/actors/turn, issue 16 item 2.)
  });
});
