import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient } from '../support/http-client.ts';
import { connectWs } from '../support/ws-client.ts';

let t: TestServer;
let token: string;
let roomId: string;
beforeAll(async () => {
  t = await startTestServer();
  const api = apiClient(t.url);
  token = (await api.login('admin', t.adminPassword)).accessToken;
  const agentId = (await api.post('/api/v1/agents', { name: 'Quick', bio: 'answers at once' }, { token })).body.agent.id;
  roomId = (await api.post('/api/v1/rooms', { name: 'acks', agentIds: [agentId] }, { token })).body.room.id;
});
afterAll(async () => t?.close());

// Issue 15 finding 12: a reply reached a socket before the ack of the message it answers (17 in
// 10,000). The ack waited for postMessage to read the message back; here that read-back is slow
// (as under load), and the agent answers at once.
it('the ack of a message comes before any typing, delta or reply about it, even when the post is slow to return', async () => {
  const getById = t.store.getById.bind(t.store);
  t.store.getById = async (id: string) => {
    await new Promise((r) => setTimeout(r, 30));
    return getById(id);
  };
  try {
    const s = await connectWs(t.wsUrl, token);
    s.send({ type: 'subscribe', roomId });
    await s.next((f) => f.type === 'subscribed');
    for (let i = 0; i < 10; i++) {
      // With and without clientMessageId (the message id is then derived, or chosen by the server).
      s.send({ type: 'message', roomId, text: `hello ${i}`, ...(i % 2 === 0 ? { clientMessageId: `order-${i}` } : {}) });
      const ack = await s.next((f) => f.type === 'ack');
      const reply = await s.next((f) => f.type === 'message' && f.message.inReplyTo === ack.messageId);
      const about = (f: any) => (f.type === 'reply.delta' && f.replyTo === ack.messageId) || f === reply;
      const ackAt = s.frames.indexOf(ack);
      const firstAbout = s.frames.findIndex(about);
      expect(firstAbout, `message ${i}: ${JSON.stringify(s.frames.slice(-8).map((f) => f.type))}`).toBeGreaterThan(ackAt);
      expect(ack).toMatchObject({ clientMessageId: i % 2 === 0 ? `order-${i}` : null, seq: expect.any(Number) });
    }
    // A repeat of a clientMessageId appends nothing and is still acked, with the first message's id.
    const head = await t.store.head();
    s.send({ type: 'message', roomId, text: 'hello 0', clientMessageId: 'order-0' });
    const again = await s.next((f) => f.type === 'ack' && f.clientMessageId === 'order-0');
    const first = s.frames.find((f) => f.type === 'ack' && f.clientMessageId === 'order-0');
    expect(again.messageId).toBe(first.messageId);
    expect(await t.store.head()).toBe(head);
    s.close();
  } finally {
    t.store.getById = getById;
  }
});
