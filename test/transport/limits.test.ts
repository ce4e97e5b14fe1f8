import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';

let t: TestServer;
let api: ApiClient;
let token: string;
let roomId: string;

beforeAll(async () => {
  t = await startTestServer({ maxMessageChars: 100 });
  api = apiClient(t.url);
  token = (await api.login('admin', t.adminPassword)).accessToken;
  roomId = (await api.post('/api/v1/rooms', { name: 'limits' }, { token })).body.room.id;
});
afterAll(async () => t?.close());

/** A raw request, so a refused upload can be observed however the server cuts it off. */
function rawPost(path: string, headers: Record<string, string>, body: Buffer | undefined, chunked = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(t.url + path);
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'POST', headers }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: data }));
      res.on('error', () => resolve({ status: res.statusCode!, body: data }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    if (body && chunked) {
      // Several writes with no content-length: the limit must bite while reading.
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(body);
  });
}

describe('limits and input validation', () => {
  it('a body over 1 MB declared by content-length → 413 before reading it, nothing appended', async () => {
    const head = await t.store.head();
    const big = Buffer.alloc(1_048_577, 'a');
    const r = await rawPost(
      '/api/v1/messages',
      { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': String(big.length) },
      big,
    );
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe('payload_too_large');
    expect(await t.store.head()).toBe(head);
  });

  it('a chunked body that grows past 1 MB → 413', async () => {
    const big = Buffer.alloc(2 * 1_048_576, 'b');
    const r = await rawPost(
      '/api/v1/messages',
      { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' },
      big,
      true,
    ).catch((err) => ({ status: -1, body: String(err) }));
    // The 413 reaches the client (the server reads and drops the rest rather than cut the connection).
    expect(r.status).toBe(413);
  });

  it('a knowledge upload may be bigger than MAX_BODY_BYTES, up to MAX_UPLOAD_BYTES (413 past it, nothing appended)', async () => {
    const small = await startTestServer({ maxBodyBytes: 4096, maxUploadBytes: 16_384 });
    try {
      const c = apiClient(small.url);
      const admin = (await c.login('admin', small.adminPassword)).accessToken;
      const agentId = (await c.post('/api/v1/agents', { name: 'Uploads', bio: 'x' }, { token: admin })).body.agent.id;
      const file = (bytes: number) => ({
        title: 'Notes',
        file: { contentType: 'text/plain', base64: Buffer.from('note '.repeat(bytes / 5)).toString('base64') },
      });
      expect((await c.post('/api/v1/messages', { roomId: 'x', text: 'y'.repeat(6000) }, { token: admin })).status).toBe(413);
      const ok = await c.post(`/api/v1/agents/${agentId}/knowledge`, file(6000), { token: admin });
      expect(ok.status).toBe(201);
      const head = await small.store.head();
      const big = await c.post(`/api/v1/agents/${agentId}/knowledge`, file(15_000), { token: admin });
      expect(big.status).toBe(413);
      expect(big.body.error.message).toMatch(/16384/);
      expect(await small.store.head()).toBe(head);
    } finally {
      await small.close();
    }
  });

  it('a body just under the limit is read (and then judged on its content)', async () => {
    const body = JSON.stringify({ roomId, text: 'x'.repeat(1_000_000) });
    const r = await api.request('POST', '/api/v1/messages', { token, raw: body, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/text: must be at most 100 characters/);
  });

  it('non-JSON content type → 415; invalid JSON → 400; wrong shape → 400 naming the field', async () => {
    const r1 = await api.request('POST', '/api/v1/messages', { token, raw: 'roomId=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r1.status).toBe(415);
    expect(r1.body.error.code).toBe('unsupported_media_type');
    const r1b = await api.request('POST', '/api/v1/messages', { token, raw: '{}' });
    expect(r1b.status).toBe(415);
    const r2 = await api.request('POST', '/api/v1/messages', { token, raw: '{"roomId":', headers: { 'content-type': 'application/json' } });
    expect(r2.status).toBe(400);
    expect(r2.body.error.code).toBe('invalid_json');
    const r3 = await api.post('/api/v1/messages', { roomId, text: 42 }, { token });
    expect(r3.status).toBe(400);
    expect(r3.body.error.message).toContain('text');
    const r4 = await api.post('/api/v1/messages', [1, 2], { token });
    expect(r4.status).toBe(400);
  });

  it('message text empty, blank or over MAX_MESSAGE_CHARS → 400; exactly the max is fine', async () => {
    for (const text of ['', '   \n', 'y'.repeat(101)]) {
      expect((await api.post('/api/v1/messages', { roomId, text }, { token })).status).toBe(400);
    }
    expect((await api.post('/api/v1/messages', { roomId, text: 'z'.repeat(100) }, { token })).status).toBe(202);
  });

  it('unknown routes → 404 with the envelope; known path with a wrong method → 405', async () => {
    const r = await api.get('/api/v1/nothing-here');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect((await api.request('PUT', '/api/v1/agents', { token })).status).toBe(405);
    expect((await api.get('/api/v1/rooms/unknown-room', { token })).status).toBe(404);
  });

  it('control characters are stripped from output text (\\n and \\t kept); the log keeps the text as written', async () => {
    const text = 'a\u0000b\u0007c\u001bd\te\nf\u007fg\u009bh';
    const r = await api.post('/api/v1/messages', { roomId, text }, { token });
    expect(r.status).toBe(202);
    expect(r.body.message.text).toBe('abcd\te\nfgh');
    const e = await t.store.getById(r.body.message.id);
    expect(e?.type === 'message.posted' && e.data.text).toBe(text);
  });

  it('markup is data: HTML in a message comes back verbatim in JSON, never rendered or altered', async () => {
    const text = '<script>alert(1)</script>';
    const r = await api.post('/api/v1/messages', { roomId, text }, { token });
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(r.body.message.text).toBe(text);
  });
});

describe('rate limits', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ rateLimitPerMin: 5 });
  });
  afterAll(async () => limited?.close());

  it('past RATE_LIMIT_PER_MIN per IP → 429 with retry-after, and a rejected request appends nothing', async () => {
    const l = apiClient(limited.url);
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await l.get('/api/v1/agents');
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[6]).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(last!.body.error.code).toBe('rate_limited');
    const head = await limited.store.head();
    expect((await l.post('/api/v1/auth/register', { username: 'late', password: 'password-1' })).status).toBe(429);
    expect(await limited.store.head()).toBe(head);
  });

  // Issue 15 finding 12: the limit of an IP locked it out of /health too — a probe behind the same
  // address (a load balancer, a monitor) then saw the server as down.
  it('an IP past its limit still gets answers from GET /health and GET /api/v1/health', async () => {
    const l = apiClient(limited.url);
    for (let i = 0; i < 7; i++) await l.get('/api/v1/agents');
    expect((await l.get('/api/v1/agents')).status).toBe(429);
    for (let i = 0; i < 20; i++) {
      for (const path of ['/health', '/api/v1/health']) {
        const r = await l.get(path);
        expect(r.status, path).toBe(200);
        expect(r.body).toMatchObject({ status: 'ok', seq: expect.any(Number) });
      }
    }
    expect((await l.get('/api/v1/agents')).status).toBe(429);
  });

  it('never limits the server’s own work: agent replies are not requests', async () => {
    // A 0 limit turns it off entirely.
    const off = await startTestServer({ rateLimitPerMin: 0 });
    const l = apiClient(off.url);
    const tok = (await l.login('admin', off.adminPassword)).accessToken;
    for (let i = 0; i < 30; i++) expect((await l.get('/api/v1/health')).status).toBe(200);
    const agent = (await l.post('/api/v1/agents', { name: 'Busy', bio: 'b' }, { token: tok })).body.agent;
    const room = (await l.post('/api/v1/rooms', { name: 'r', agentIds: [agent.id] }, { token: tok })).body.room;
    for (let i = 0; i < 20; i++) await l.post('/api/v1/messages', { roomId: room.id, text: `m${i}` }, { token: tok });
    await new Promise((r) => setTimeout(r, 200));
    const msgs = (await l.get(`/api/v1/rooms/${room.id}/messages?limit=200`, { token: tok })).body.messages;
    expect(msgs.filter((m: any) => m.authorKind === 'agent')).toHaveLength(20);
    await off.close();
  });
});
