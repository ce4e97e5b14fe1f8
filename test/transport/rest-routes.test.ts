import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { minimalPdf } from '../support/minimal-pdf.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiClient, type ApiClient } from '../support/http-client.ts';

let t: TestServer;
let api: ApiClient;
let admin: string;
let operator: string;
let user: { token: string; id: string };

const until = async <T>(fn: () => Promise<T | undefined>, ms = 3000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

beforeAll(async () => {
  t = await startTestServer();
  api = apiClient(t.url);
  admin = (await api.login('admin', t.adminPassword)).accessToken;
  const op = await api.post('/api/v1/accounts', { username: 'oscar', password: 'operator-pass', role: 'operator' }, { token: admin });
  expect(op.status).toBe(201);
  operator = (await api.login('oscar', 'operator-pass')).accessToken;
  const u = await api.register('ursula');
  user = { token: u.accessToken, id: u.account.id };
});
afterAll(async () => t?.close());

describe('auth and accounts routes', () => {
  it('register answers 201 with account, tokens and expiresIn; the account never carries a hash', async () => {
    const r = await api.post('/api/v1/auth/register', { username: 'reg1', password: 'password-1', name: 'Reggie' });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(['accessToken', 'account', 'expiresIn', 'refreshToken']);
    expect(r.body.account).toEqual({ id: expect.any(String), username: 'reg1', name: 'Reggie', role: 'user', createdAt: expect.any(String) });
    expect(r.body.expiresIn).toBe(900);
  });

  it('a duplicate username is a 409, also when it differs only in case', async () => {
    expect((await api.post('/api/v1/auth/register', { username: 'ursula', password: 'password-1' })).status).toBe(409);
    expect((await api.post('/api/v1/auth/register', { username: 'URSULA', password: 'password-1' })).status).toBe(409);
  });

  it('login with a wrong password is 401 with the error envelope', async () => {
    const r = await api.post('/api/v1/auth/login', { username: 'ursula', password: 'wrong-password' });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { code: 'invalid_credentials', message: expect.any(String) } });
  });

  it('GET /accounts/me returns the caller', async () => {
    const r = await api.get('/api/v1/accounts/me', { token: user.token });
    expect(r.status).toBe(200);
    expect(r.body.account.username).toBe('ursula');
  });

  it('admin lists accounts, creates one (201) and changes a role (200)', async () => {
    const list = await api.get('/api/v1/accounts', { token: admin });
    expect(list.status).toBe(200);
    expect(list.body.accounts.map((a: any) => a.username)).toEqual(expect.arrayContaining(['admin', 'oscar', 'ursula']));
    expect(JSON.stringify(list.body)).not.toMatch(/password|scrypt|enc:v1/i);
    const created = await api.post('/api/v1/accounts', { username: 'made', password: 'password-1' }, { token: admin });
    expect(created.status).toBe(201);
    expect(created.body.account.role).toBe('user');
    const patched = await api.patch(`/api/v1/accounts/${created.body.account.id}`, { role: 'operator' }, { token: admin });
    expect(patched.status).toBe(200);
    expect(patched.body.account.role).toBe('operator');
    expect((await api.patch('/api/v1/accounts/nope', { role: 'operator' }, { token: admin })).status).toBe(404);
    expect((await api.patch(`/api/v1/accounts/${created.body.account.id}`, { role: 'king' }, { token: admin })).status).toBe(400);
  });
});

describe('agents routes', () => {
  let agentId: string;
  it('operator creates an agent from a character (201), secrets sealed in the log and never returned', async () => {
    const r = await api.post(
      '/api/v1/agents',
      { name: 'Sage', bio: ['wise'], system: 'be wise', settings: { secrets: { API_KEY: 'sk-very-secret' }, voice: 'calm' } },
      { token: operator },
    );
    expect(r.status).toBe(201);
    agentId = r.body.agent.id;
    expect(r.body.agent).toMatchObject({ name: 'Sage', status: 'running', character: { name: 'Sage', settings: { voice: 'calm' } } });
    expect(JSON.stringify(r.body)).not.toContain('sk-very-secret');
    expect(r.body.agent.character.settings.secrets).toBeUndefined();
    const events = await t.store.readAll({ limit: 10_000 });
    expect(JSON.stringify(events)).not.toContain('sk-very-secret');
  });

  it('PATCH with settings but no secrets keeps the sealed secrets (they are never shown, so clients cannot send them back)', async () => {
    const before = (await t.store.readAll({ stream: `agent-${agentId}`, limit: 100 })).find((e) => e.type === 'agent.created');
    const sealed = before?.type === 'agent.created' ? before.data.character.settings?.secrets?.API_KEY : undefined;
    expect(sealed).toMatch(/^enc:v1:/);
    const r = await api.patch(`/api/v1/agents/${agentId}`, { settings: { voice: 'loud' } }, { token: operator });
    expect(r.status).toBe(200);
    expect(r.body.agent.character.settings).toEqual({ voice: 'loud' });
    const updated = (await t.store.readAll({ stream: `agent-${agentId}`, types: ['agent.updated'], limit: 100 })).at(-1);
    expect(updated?.type === 'agent.updated' && updated.data.character.settings?.secrets?.API_KEY).toBe(sealed);
  });

  it('a duplicate agent name is 409; an invalid character is 400 naming the field', async () => {
    expect((await api.post('/api/v1/agents', { name: 'Sage', bio: 'again' }, { token: operator })).status).toBe(409);
    const bad = await api.post('/api/v1/agents', { name: 'NoBio' }, { token: operator });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('bio');
  });

  it('lists, gets, patches, stops, starts and deletes', async () => {
    const list = await api.get('/api/v1/agents', { token: user.token });
    expect(list.status).toBe(200);
    expect(list.body.agents.map((a: any) => a.name)).toContain('Sage');
    expect((await api.get(`/api/v1/agents/${agentId}`, { token: user.token })).body.agent.name).toBe('Sage');
    const patched = await api.patch(`/api/v1/agents/${agentId}`, { system: 'be wiser', topics: ['owls'] }, { token: operator });
    expect(patched.status).toBe(200);
    expect(patched.body.agent.character).toMatchObject({ name: 'Sage', system: 'be wiser', topics: ['owls'], bio: ['wise'] });
    const stopped = await api.post(`/api/v1/agents/${agentId}/stop`, undefined, { token: operator });
    expect(stopped.status).toBe(200);
    expect(stopped.body.agent.status).toBe('stopped');
    const started = await api.post(`/api/v1/agents/${agentId}/start`, undefined, { token: operator });
    expect(started.body.agent.status).toBe('running');
    expect((await api.del(`/api/v1/agents/${agentId}`, { token: operator })).status).toBe(204);
    expect((await api.get(`/api/v1/agents/${agentId}`, { token: operator })).status).toBe(404);
    expect((await api.post(`/api/v1/agents/${agentId}/start`, undefined, { token: operator })).status).toBe(404);
  });

  it('knowledge: add (201), list, search, delete (204)', async () => {
    const a = await api.post('/api/v1/agents', { name: 'Librarian', bio: 'books' }, { token: operator });
    const id = a.body.agent.id;
    const doc = await api.post(
      `/api/v1/agents/${id}/knowledge`,
      { title: 'Owls', text: 'Owls hunt at night.\n\nThey have silent feathers.' },
      { token: operator },
    );
    expect(doc.status).toBe(201);
    expect(doc.body.document).toEqual({ id: expect.any(String), title: 'Owls', chunks: expect.any(Number) });
    expect(doc.body.document.chunks).toBeGreaterThan(0);
    const list = await api.get(`/api/v1/agents/${id}/knowledge`, { token: operator });
    expect(list.body.documents).toEqual([expect.objectContaining({ id: doc.body.document.id, title: 'Owls', chunks: doc.body.document.chunks })]);
    const search = await api.get(`/api/v1/agents/${id}/knowledge/search?q=silent%20feathers&k=5`, { token: operator });
    expect(search.status).toBe(200);
    expect(search.body.results[0]).toEqual({
      documentId: doc.body.document.id,
      title: 'Owls',
      text: expect.stringContaining('silent feathers'),
      score: expect.any(Number),
    });
    expect((await api.get(`/api/v1/agents/${id}/knowledge/search?q=x&k=0`, { token: operator })).status).toBe(400);
    expect((await api.get(`/api/v1/agents/${id}/knowledge/search?k=3`, { token: operator })).status).toBe(400);
    expect((await api.post(`/api/v1/agents/${id}/knowledge`, { title: 'Web', url: 'https://example.com' }, { token: operator })).status).toBe(400);
    expect((await api.del(`/api/v1/agents/${id}/knowledge/${doc.body.document.id}`, { token: operator })).status).toBe(204);
    expect((await api.del(`/api/v1/agents/${id}/knowledge/${doc.body.document.id}`, { token: operator })).status).toBe(404);
    expect((await api.get(`/api/v1/agents/${id}/knowledge`, { token: user.token })).status).toBe(403);
  });

  it('knowledge from a file: PDF and Markdown as base64 are read on the server; an unreadable one is a 400 that appends nothing', async () => {
    const id = (await api.post('/api/v1/agents', { name: 'Reader', bio: 'reads' }, { token: operator })).body.agent.id;
    const pdf = minimalPdf([['Owls swallow their prey whole.'], ['Then they cough up pellets.']]);
    const fromPdf = await api.post(
      `/api/v1/agents/${id}/knowledge`,
      { title: 'Owl diet', file: { contentType: 'application/pdf', base64: Buffer.from(pdf).toString('base64') } },
      { token: operator },
    );
    expect(fromPdf.status).toBe(201);
    expect(fromPdf.body.document.chunks).toBeGreaterThan(0);
    const search = await api.get(`/api/v1/agents/${id}/knowledge/search?q=pellets&k=3`, { token: operator });
    expect(search.body.results[0]).toMatchObject({ documentId: fromPdf.body.document.id, text: expect.stringContaining('cough up pellets') });
    const md = await api.post(
      `/api/v1/agents/${id}/knowledge`,
      { title: 'Notes', file: { contentType: 'text/markdown', base64: Buffer.from('# Owls\n\nBarn owls nest in barns.').toString('base64') } },
      { token: operator },
    );
    expect(md.status).toBe(201);

    const head = await t.store.head();
    const refused = async (file: unknown) => {
      const r = await api.post(`/api/v1/agents/${id}/knowledge`, { title: 'Bad', file }, { token: operator });
      expect(r.status).toBe(400);
      return r.body.error.message as string;
    };
    expect(await refused({ contentType: 'application/pdf', base64: Buffer.from('not a pdf at all').toString('base64') })).toMatch(
      /file: cannot read it as application\/pdf/,
    );
    expect(await refused({ contentType: 'application/pdf', base64: Buffer.from(minimalPdf([[' ']])).toString('base64') })).toMatch(/no text in it/);
    expect(await refused({ contentType: 'text/plain', base64: 'not base64!' })).toMatch(/base64/);
    expect(await refused({ contentType: 'image/png', base64: 'AAAA' })).toMatch(/contentType/);
    expect(await t.store.head()).toBe(head);
  });

  it('knowledge by URL: refused while KNOWLEDGE_URL_ALLOW is empty; from an allowed host fetched, kept with its address; failures append nothing', async () => {
    const docs = createServer((req, res) => {
      if (req.url === '/owls.md')
        return void (res.writeHead(200, { 'content-type': 'text/markdown' }), res.end('# Owls\n\nOwls can turn their heads 270 degrees.'));
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
    });
    await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(docs.address() as AddressInfo).port}`;
    const allowing = await startTestServer({ knowledgeUrlAllow: [origin] });
    try {
      const id = (await api.post('/api/v1/agents', { name: 'Fetcher', bio: 'x' }, { token: operator })).body.agent.id;
      const off = await api.post(`/api/v1/agents/${id}/knowledge`, { title: 'Owls', url: `${origin}/owls.md` }, { token: operator });
      expect(off.status).toBe(400);
      expect(off.body.error.message).toMatch(/KNOWLEDGE_URL_ALLOW/);

      const c = apiClient(allowing.url);
      const admin = (await c.login('admin', allowing.adminPassword)).accessToken;
      const agent = (await c.post('/api/v1/agents', { name: 'Fetcher', bio: 'x' }, { token: admin })).body.agent.id;
      const ok = await c.post(`/api/v1/agents/${agent}/knowledge`, { title: 'Owls', url: `${origin}/owls.md` }, { token: admin });
      expect(ok.status).toBe(201);
      const added = (await allowing.store.readAll({ afterSeq: 0, limit: 1000 })).find((e) => e.type === 'knowledge.document_added');
      expect(added?.data).toMatchObject({ source: 'url', url: `${origin}/owls.md`, title: 'Owls' });
      const hit = await c.get(`/api/v1/agents/${agent}/knowledge/search?q=turn%20their%20heads&k=1`, { token: admin });
      expect(hit.body.results[0].text).toContain('270 degrees');

      const head = await allowing.store.head();
      const down = await c.post(`/api/v1/agents/${agent}/knowledge`, { title: 'Down', url: `${origin}/down.md` }, { token: admin });
      expect(down.status).toBe(502);
      expect(down.body.error.message).toMatch(/answered 503/);
      const elsewhere = await c.post(`/api/v1/agents/${agent}/knowledge`, { title: 'Else', url: 'http://169.254.169.254/latest/meta-data' }, { token: admin });
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body.error.message).toMatch(/not in KNOWLEDGE_URL_ALLOW/);
      expect(await allowing.store.head()).toBe(head);
    } finally {
      await allowing.close();
      docs.close();
    }
  });

  it("a character's knowledge text becomes the agent's documents (file items are reported, never read); an update with the same knowledge adds nothing", async () => {
    const character = { name: 'Quill', bio: 'docs', knowledge: ['Quill answers from the API guide.', { path: '/etc/passwd' }] };
    const a = await api.post('/api/v1/agents', character, { token: operator });
    expect(a.status).toBe(201);
    const id = a.body.agent.id;
    expect(a.body.knowledge.documents).toEqual([
      { id: expect.any(String), title: 'Quill answers from the API guide.', origin: 'knowledge[0]', chunks: 1, alreadyKnown: false },
    ]);
    expect(a.body.knowledge.skipped).toEqual([{ item: '{path: /etc/passwd}', reason: expect.stringMatching(/agent create --character/) }]);
    expect(a.body.knowledge.failed).toEqual([]);
    const list = await api.get(`/api/v1/agents/${id}/knowledge`, { token: operator });
    expect(list.body.documents.map((d: { id: string }) => d.id)).toEqual([a.body.knowledge.documents[0].id]);
    expect(JSON.stringify(list.body)).not.toContain('root:');

    const same = await api.patch(`/api/v1/agents/${id}`, { knowledge: character.knowledge }, { token: operator });
    expect(same.body.knowledge.documents[0]).toMatchObject({ id: a.body.knowledge.documents[0].id, alreadyKnown: true });
    const more = await api.patch(`/api/v1/agents/${id}`, { knowledge: ['Quill answers from the API guide.', 'And from the FAQ.'] }, { token: operator });
    expect(more.body.knowledge.documents.map((d: { alreadyKnown: boolean }) => d.alreadyKnown)).toEqual([true, false]);
    expect((await api.get(`/api/v1/agents/${id}/knowledge`, { token: operator })).body.documents).toHaveLength(2);
    // An update that does not touch knowledge says nothing about it; an agent without knowledge neither.
    expect((await api.patch(`/api/v1/agents/${id}`, { bio: 'docs and FAQ' }, { token: operator })).body.knowledge).toBeUndefined();
    expect((await api.post('/api/v1/agents', { name: 'Plain', bio: 'x' }, { token: operator })).body.knowledge).toBeUndefined();
  });
});

describe('rooms and messages routes', () => {
  let agentId: string;
  let roomId: string;
  beforeAll(async () => {
    agentId = (await api.post('/api/v1/agents', { name: 'Echo', bio: 'repeats' }, { token: operator })).body.agent.id;
  });

  it('creates a room (201) the caller joins, with its agents; unknown agent → 404', async () => {
    const r = await api.post('/api/v1/rooms', { name: 'chat', agentIds: [agentId] }, { token: user.token });
    expect(r.status).toBe(201);
    roomId = r.body.room.id;
    expect(r.body.room).toEqual({
      id: expect.any(String),
      name: 'chat',
      createdAt: expect.any(String),
      participants: [
        { id: user.id, kind: 'user', name: 'ursula' },
        { id: agentId, kind: 'agent', name: 'Echo' },
      ],
    });
    expect((await api.post('/api/v1/rooms', { name: 'x', agentIds: ['missing'] }, { token: user.token })).status).toBe(404);
    expect((await api.post('/api/v1/rooms', { name: '' }, { token: user.token })).status).toBe(400);
  });

  it('lists the caller’s rooms and gets one', async () => {
    const rooms = await api.get('/api/v1/rooms', { token: user.token });
    expect(rooms.body.rooms.map((r: any) => r.id)).toContain(roomId);
    expect((await api.get(`/api/v1/rooms/${roomId}`, { token: user.token })).body.room.id).toBe(roomId);
  });

  it('posts a message (202), the agent replies, and messages come back oldest first', async () => {
    const m = await api.post('/api/v1/messages', { roomId, text: 'hello there' }, { token: user.token });
    expect(m.status).toBe(202);
    expect(m.body.message).toEqual({
      id: expect.any(String),
      seq: expect.any(Number),
      roomId,
      authorId: user.id,
      authorKind: 'user',
      text: 'hello there',
      createdAt: expect.any(String),
    });
    const messages = await until(async () => {
      const r = await api.get(`/api/v1/rooms/${roomId}/messages`, { token: user.token });
      return r.body.messages.length === 2 ? r.body.messages : undefined;
    });
    expect(messages[0].id).toBe(m.body.message.id);
    expect(messages[1]).toMatchObject({ authorKind: 'agent', authorId: agentId, inReplyTo: m.body.message.id, text: expect.stringMatching(/hello there/) });
  });

  it('posting is idempotent by clientMessageId', async () => {
    const a = await api.post('/api/v1/messages', { roomId, text: 'once', clientMessageId: 'c-1' }, { token: user.token });
    const head = await t.store.head();
    const b = await api.post('/api/v1/messages', { roomId, text: 'once', clientMessageId: 'c-1' }, { token: user.token });
    expect(b.status).toBe(202);
    expect(b.body.message.id).toBe(a.body.message.id);
    // Only the agent's reply to the first may have been appended since; no second user message.
    const after = await t.store.readAll({ afterSeq: head, limit: 100 });
    expect(after.filter((e) => e.type === 'message.posted' && e.data.authorKind === 'user')).toEqual([]);
  });

  it('paginates with before and limit', async () => {
    // A room without agents: no reply lands between the reads being compared.
    const roomId = (await api.post('/api/v1/rooms', { name: 'quiet' }, { token: user.token })).body.room.id;
    for (let i = 0; i < 5; i++) await api.post('/api/v1/messages', { roomId, text: `n${i}` }, { token: user.token });
    const all = (await api.get(`/api/v1/rooms/${roomId}/messages?limit=200`, { token: user.token })).body.messages;
    const last2 = (await api.get(`/api/v1/rooms/${roomId}/messages?limit=2`, { token: user.token })).body.messages;
    expect(last2).toEqual(all.slice(-2));
    const before = (await api.get(`/api/v1/rooms/${roomId}/messages?before=${all[3].seq}&limit=2`, { token: user.token })).body.messages;
    expect(before).toEqual(all.slice(1, 3));
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'before=-1', 'limit=1.5']) {
      expect((await api.get(`/api/v1/rooms/${roomId}/messages?${q}`, { token: user.token })).status, q).toBe(400);
    }
  });

  it('searches messages of a room (members only, roomId required)', async () => {
    const r = await api.get(`/api/v1/messages/search?roomId=${roomId}&q=hello&k=3`, { token: user.token });
    expect(r.status).toBe(200);
    expect(r.body.results[0]).toEqual({ message: expect.objectContaining({ roomId }), score: expect.any(Number) });
    expect((await api.get('/api/v1/messages/search?q=hello', { token: user.token })).status).toBe(400);
    const other = await api.register('outsider');
    expect((await api.get(`/api/v1/messages/search?roomId=${roomId}&q=hello`, { token: other.accessToken })).status).toBe(404);
  });

  it('adds (201) and removes (204) participants; unknown ids → 404', async () => {
    const friend = await api.register('friend');
    const add = await api.post(`/api/v1/rooms/${roomId}/participants`, { accountId: friend.account.id }, { token: user.token });
    expect(add.status).toBe(201);
    expect(add.body.room.participants.map((p: any) => p.id)).toContain(friend.account.id);
    expect((await api.get(`/api/v1/rooms/${roomId}`, { token: friend.accessToken })).status).toBe(200);
    expect((await api.post(`/api/v1/rooms/${roomId}/participants`, { accountId: 'ghost' }, { token: user.token })).status).toBe(404);
    expect((await api.post(`/api/v1/rooms/${roomId}/participants`, { agentId: 'ghost' }, { token: user.token })).status).toBe(404);
    expect((await api.post(`/api/v1/rooms/${roomId}/participants`, {}, { token: user.token })).status).toBe(400);
    expect((await api.del(`/api/v1/rooms/${roomId}/participants/${friend.account.id}`, { token: user.token })).status).toBe(204);
    expect((await api.get(`/api/v1/rooms/${roomId}`, { token: friend.accessToken })).status).toBe(404);
    expect((await api.del(`/api/v1/rooms/${roomId}/participants/${friend.account.id}`, { token: user.token })).status).toBe(404);
  });
});

describe('operator routes', () => {
  it('health is public: {status, seq, uptimeS} with seq = log head', async () => {
    const r = await api.get('/api/v1/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok', seq: await t.store.head(), uptimeS: expect.any(Number) });
  });

  it('events: paged by after/limit, filtered by stream, password hashes redacted', async () => {
    const r = await api.get('/api/v1/events?after=0&limit=3', { token: operator });
    expect(r.status).toBe(200);
    expect(r.body.events.map((e: any) => e.seq)).toEqual([1, 2, 3]);
    expect(Object.keys(r.body.events[0]).sort()).toEqual(['data', 'id', 'meta', 'seq', 'stream', 'type', 'version']);
    expect(JSON.stringify(r.body)).not.toMatch(/scrypt/);
    const next = await api.get('/api/v1/events?after=3&limit=2', { token: operator });
    expect(next.body.events.map((e: any) => e.seq)).toEqual([4, 5]);
    const first = r.body.events[0];
    const byStream = await api.get(`/api/v1/events?stream=${first.stream}`, { token: operator });
    expect(byStream.body.events.every((e: any) => e.stream === first.stream)).toBe(true);
    const typed = await api.get('/api/v1/events?type=room.created,message.posted&limit=1000', { token: operator });
    expect(typed.body.events.length).toBeGreaterThan(0);
    expect(typed.body.events.every((e: any) => e.type === 'room.created' || e.type === 'message.posted')).toBe(true);
    for (const q of ['limit=0', 'limit=1001', 'after=x', 'type=']) expect((await api.get(`/api/v1/events?${q}`, { token: operator })).status, q).toBe(400);
  });

  it('actors returns the actor graph', async () => {
    const r = await api.get('/api/v1/actors', { token: operator });
    expect(r.status).toBe(200);
    expect(r.body.actors.length).toBeGreaterThan(0);
    for (const a of r.body.actors)
      expect(a).toMatchObject({ id: expect.any(String), kind: expect.any(String), state: expect.any(String), children: expect.any(Array) });
  });

  it('metrics is Prometheus text with requests, events, replies, model latency, lag and sockets', async () => {
    const r = await api.get('/api/v1/metrics', { token: operator });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(r.text).toMatch(/chronicle_http_requests_total\{method="POST",route="\/api\/v1\/messages",status="202"\} \d+/);
    expect(r.text).toMatch(/chronicle_events_appended_total\{type="message.posted"\} \d+/);
    expect(r.text).toMatch(/chronicle_replies_total [1-9]/);
    expect(r.text).toMatch(/chronicle_model_call_duration_seconds_count\{provider="[^"]+",model="[^"]+",kind="text"\} [1-9]/);
    expect(r.text).toMatch(/chronicle_projection_lag_events \d+/);
    expect(r.text).toMatch(/chronicle_websockets_open \d+/);
  });
});
