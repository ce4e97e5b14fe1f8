import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { connectWs } from '../support/ws-client.ts';

let t: TestServer;
let api: ApiClient;
let token: string;
let userId: string;
let agentId: string;
let roomId: string;

beforeAll(async () => {
  t = await startTestServer({}, { wsAuthTimeoutMs: 300, wsMaxBufferedBytes: 256 * 1024 });
  api = apiClient(t.url);
  const admin = await api.login('admin', t.adminPassword);
  token = admin.accessToken;
  userId = admin.account.id;
  agentId = (await api.post('/api/v1/agents', { name: 'Echo', bio: 'echoes' }, { token })).body.agent.id;
  roomId = (await api.post('/api/v1/rooms', { name: 'ws', agentIds: [agentId] }, { token })).body.room.id;
});
afterAll(async () => t?.close());

describe('WebSocket auth', () => {
  it('accepts ?token= on the upgrade', async () => {
    const s = await connectWs(t.wsUrl, token);
    s.send({ type: 'ping' });
    expect(await s.next()).toEqual({ type: 'pong' });
    s.close();
  });

  it('accepts a first {type:"auth"} frame', async () => {
    const s = await connectWs(t.wsUrl);
    s.send({ type: 'auth', token });
    s.send({ type: 'ping' });
    expect(await s.next()).toEqual({ type: 'pong' });
    s.close();
  });

  it('closes with 4401 on a bad token (query or frame), a non-auth first frame, or no auth in time', async () => {
    const bad = await connectWs(t.wsUrl, 'garbage');
    expect((await bad.closed).code).toBe(4401);
    const badFrame = await connectWs(t.wsUrl);
    badFrame.send({ type: 'auth', token: 'garbage' });
    expect((await badFrame.closed).code).toBe(4401);
    const early = await connectWs(t.wsUrl);
    early.send({ type: 'subscribe', roomId });
    expect((await early.closed).code).toBe(4401);
    const silent = await connectWs(t.wsUrl);
    expect((await silent.closed).code).toBe(4401);
  });
});

describe('WebSocket protocol', () => {
  it('ends a subscription when its user leaves or is removed from the room: nothing posted afterwards reaches them', async () => {
    const friend = await api.register(`leaver-${Date.now()}`);
    const room = (await api.post('/api/v1/rooms', { name: 'leaving', agentIds: [agentId] }, { token })).body.room;
    expect((await api.post(`/api/v1/rooms/${room.id}/participants`, { accountId: friend.account.id }, { token })).status).toBe(201);
    const s = await connectWs(t.wsUrl, friend.accessToken);
    const mine = await connectWs(t.wsUrl, token); // the admin's own subscription stays
    for (const sock of [s, mine]) {
      sock.send({ type: 'subscribe', roomId: room.id });
      await sock.next((f) => f.type === 'subscribed');
    }
    await api.post('/api/v1/messages', { roomId: room.id, text: 'before removal' }, { token });
    expect((await s.next((f) => f.type === 'message')).message.text).toBe('before removal');
    expect((await api.del(`/api/v1/rooms/${room.id}/participants/${friend.account.id}`, { token })).status).toBe(204);
    const gone = await s.next((f) => f.type === 'error');
    expect(gone).toMatchObject({ code: 'not_found', roomId: room.id });
    await api.post('/api/v1/messages', { roomId: room.id, text: 'after removal' }, { token });
    expect((await mine.next((f) => f.type === 'message' && f.message.text === 'after removal')).message.roomId).toBe(room.id);
    s.send({ type: 'ping' });
    await s.next((f) => f.type === 'pong');
    // (The agent's echo of 'before removal' may come before the removal; nothing comes after it.)
    expect(s.frames.slice(s.frames.indexOf(gone)).filter((f) => f.type === 'message')).toEqual([]);
    expect(s.frames.some((f) => f.type === 'message' && f.message.text === 'after removal')).toBe(false);
    // The socket itself stays usable, and subscribing again is refused like any room one is not in.
    s.send({ type: 'subscribe', roomId: room.id });
    expect(await s.next((f) => f.type === 'error' && f !== gone)).toMatchObject({ code: 'not_found' });
    s.close();
    mine.close();
  });

  it('subscribe with afterSeq replays missed messages, then `subscribed`, then live — no gap, no duplicate', async () => {
    const before = (await api.post('/api/v1/messages', { roomId, text: 'first' }, { token })).body.message;
    for (let i = 0; i < 3; i++) await api.post('/api/v1/messages', { roomId, text: `m${i}` }, { token });
    await new Promise((r) => setTimeout(r, 50));
    const s = await connectWs(t.wsUrl, token);
    // Appends racing with the replay must land exactly once.
    const racing = Promise.all([0, 1, 2].map((i) => api.post('/api/v1/messages', { roomId, text: `race${i}` }, { token })));
    s.send({ type: 'subscribe', roomId, afterSeq: before.seq - 1 });
    const sub = await s.next((f) => f.type === 'subscribed');
    expect(sub).toEqual({ type: 'subscribed', roomId, seq: expect.any(Number) });
    await racing;
    await s.next((f) => f.type === 'message' && f.message.authorKind === 'agent' && /race2/.test(f.message.text), 3000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const seqs = s.frames.filter((f) => f.type === 'message').map((f) => f.message.seq);
    const inLog = (await t.store.readAll({ afterSeq: before.seq - 1, stream: `room-${roomId}`, types: ['message.posted'], limit: 1000 })).map((e) => e.seq);
    expect(seqs).toEqual(inLog);
    expect(s.frames.find((f) => f.type === 'message')!.message).toMatchObject({ id: before.id, text: 'first', authorKind: 'user' });
    s.close();
  });

  it('a message frame is acked (idempotent by clientMessageId) and the agent reply streams as typing, reply.delta, message', async () => {
    const s = await connectWs(t.wsUrl, token);
    s.send({ type: 'subscribe', roomId });
    await s.next((f) => f.type === 'subscribed');
    s.send({ type: 'message', roomId, text: 'hi agent', clientMessageId: 'cm-1' });
    const ack = await s.next((f) => f.type === 'ack');
    expect(ack).toMatchObject({ type: 'ack', clientMessageId: 'cm-1', messageId: expect.any(String) });
    expect(await s.next((f) => f.type === 'typing')).toEqual({ type: 'typing', roomId, agentId });
    const delta = await s.next((f) => f.type === 'reply.delta');
    expect(delta).toEqual({ type: 'reply.delta', roomId, agentId, replyTo: ack.messageId, delta: expect.any(String) });
    const reply = await s.next((f) => f.type === 'message' && f.message.authorKind === 'agent');
    expect(reply.message).toMatchObject({ inReplyTo: ack.messageId, text: expect.stringContaining('hi agent') });
    const head = await t.store.head();
    s.send({ type: 'message', roomId, text: 'hi agent', clientMessageId: 'cm-1' });
    const ack2 = await s.next((f) => f.type === 'ack');
    expect(ack2.messageId).toBe(ack.messageId);
    // Background work of the first exchange (embeddings, traces) may still land; no new message may.
    const since = await t.store.readAll({ afterSeq: head, limit: 100 });
    expect(since.filter((e) => e.type === 'message.posted')).toEqual([]);
    s.close();
  });

  it('unsubscribe stops delivery for that room', async () => {
    const s = await connectWs(t.wsUrl, token);
    s.send({ type: 'subscribe', roomId });
    await s.next((f) => f.type === 'subscribed');
    s.send({ type: 'unsubscribe', roomId });
    s.send({ type: 'ping' });
    await s.next((f) => f.type === 'pong');
    await api.post('/api/v1/messages', { roomId, text: 'after unsubscribe' }, { token });
    s.send({ type: 'ping' });
    await s.next((f) => f.type === 'pong');
    await new Promise((r) => setTimeout(r, 50));
    expect(s.frames.filter((f) => f.type === 'message')).toEqual([]);
    s.close();
  });

  it('malformed and unknown frames get an error frame and the socket stays open', async () => {
    const s = await connectWs(t.wsUrl, token);
    for (const bad of ['{nope', '[]', '{"no":"type"}', '{"type":"dance"}', '{"type":"subscribe"}', '{"type":"message","roomId":"x"}']) {
      s.send(bad);
      const e = await s.next((f) => f.type === 'error');
      expect(e).toMatchObject({ type: 'error', code: expect.any(String), message: expect.any(String) });
    }
    s.send({ type: 'ping' });
    expect(await s.next()).toEqual({ type: 'pong' });
    s.close();
  });

  it('a room the caller is not in → error frame not_found; posting there → error, nothing appended', async () => {
    const other = await api.register('wsuser');
    const s = await connectWs(t.wsUrl, other.accessToken);
    s.send({ type: 'subscribe', roomId });
    expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'not_found' });
    const head = await t.store.head();
    s.send({ type: 'message', roomId, text: 'intrude', clientMessageId: 'x' });
    expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'not_found' });
    expect(await t.store.head()).toBe(head);
    s.close();
  });

  it('a binary frame closes with 1003; an oversized frame with 1009', async () => {
    const s = await connectWs(t.wsUrl, token);
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await s.closed).code).toBe(1003);
    const big = await connectWs(t.wsUrl, token);
    big.send({ type: 'message', roomId, text: 'x'.repeat(t.chronicle.settings.maxBodyBytes + 10) });
    expect((await big.closed).code).toBe(1009);
  });

  it('a consumer that does not read is disconnected with a reason once its buffer is full, and resumes by afterSeq', async () => {
    const lastSeen = await t.store.head();
    const slow = new WebSocket(`${t.wsUrl}?token=${token}`);
    await new Promise((r) => slow.once('open', r));
    slow.send(JSON.stringify({ type: 'subscribe', roomId }));
    await new Promise((r) => setTimeout(r, 50));
    // Stop reading: the kernel buffers fill, then the server's per-socket buffer.
    (slow as any)._socket.pause();
    const closed = new Promise<{ code: number; reason: string }>((r) => slow.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    const text = 'y'.repeat(15_000);
    let done = false;
    void closed.then(() => (done = true));
    for (let i = 0; i < 400 && !done; i++) {
      await t.store.append(`room-${roomId}`, [
        { id: `bulk-${i}`, type: 'message.posted', data: { messageId: `bulk-${i}`, roomId, authorId: userId, authorKind: 'agent', text } },
      ]);
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    (slow as any)._socket.resume();
    const c = await closed;
    expect(c.code).toBe(1013);
    expect(c.reason).toMatch(/afterSeq/);
    // Resume: nothing is lost.
    const s = await connectWs(t.wsUrl, token, { maxPayload: 64 * 1024 * 1024 });
    s.send({ type: 'subscribe', roomId, afterSeq: lastSeen });
    await s.next((f) => f.type === 'subscribed', 10_000);
    const got = s.frames.filter((f) => f.type === 'message').map((f) => f.message.id);
    expect(got.filter((id) => id.startsWith('bulk-')).length).toBeGreaterThan(0);
    const inLog = (await t.store.readAll({ afterSeq: lastSeen, stream: `room-${roomId}`, types: ['message.posted'], limit: 1000 })).map((e) => e.id);
    expect(got).toEqual(inLog);
    s.close();
  });
});

describe('graceful shutdown', () => {
  it('close() ends open sockets with 1001 and releases the port', async () => {
    const local = await startTestServer();
    const l = apiClient(local.url);
    const tok = (await l.login('admin', local.adminPassword)).accessToken;
    const s = await connectWs(local.wsUrl, tok);
    await local.close();
    expect((await s.closed).code).toBe(1001);
    await expect(fetch(local.url + '/api/v1/health')).rejects.toThrow();
  });
});
