import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { connectWs } from '../support/ws-client.ts';

let t: TestServer;
let api: ApiClient;
let token: string;
let roomId: string;
let agentId: string;

beforeAll(async () => {
  t = await startTestServer();
  api = apiClient(t.url);
  token = (await api.login('admin', t.adminPassword)).accessToken;
  // No agent in the fuzzed room: nothing appends in the background, so "head unchanged" is exact.
  roomId = (await api.post('/api/v1/rooms', { name: 'fuzz' }, { token })).body.room.id;
  agentId = (await api.post('/api/v1/agents', { name: 'Target', bio: 'fuzzed' }, { token })).body.agent.id;
});
afterAll(async () => t?.close());

const bodyRoutes = () =>
  [
    ['POST', '/api/v1/auth/register'],
    ['POST', '/api/v1/auth/login'],
    ['POST', '/api/v1/auth/refresh'],
    ['POST', '/api/v1/accounts'],
    ['PATCH', '/api/v1/accounts/nobody'],
    ['POST', '/api/v1/agents'],
    ['PATCH', `/api/v1/agents/${agentId}`],
    ['POST', `/api/v1/agents/${agentId}/knowledge`],
    ['POST', '/api/v1/rooms'],
    ['POST', `/api/v1/rooms/${roomId}/participants`],
    ['POST', '/api/v1/messages'],
    ['POST', '/v1/chat/completions'],
  ] as const;

/** Values shaped like the real bodies, with wrong types, extremes and junk mixed in. */
const field = () =>
  fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constant(''),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    fc.constant(roomId),
    fc.constant('x'.repeat(20_000)),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );
const shapedBody = () =>
  fc.record(
    {
      username: field(),
      password: field(),
      name: field(),
      role: field(),
      roomId: field(),
      text: field(),
      clientMessageId: field(),
      agentIds: field(),
      accountId: field(),
      agentId: field(),
      title: field(),
      url: field(),
      refreshToken: field(),
      model: field(),
      messages: field(),
      bio: field(),
      stream: field(),
    },
    { requiredKeys: [] },
  );
const anyBody = () =>
  fc.oneof(
    shapedBody().map((b) => JSON.stringify(b)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
  );

describe('fuzzing', () => {
  it('random bodies on every body route: never a 5xx, never a hang, and a rejected request leaves the log unchanged', async () => {
    const routes = bodyRoutes();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        anyBody(),
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
        fc.boolean(),
        async ([method, path], body, contentType, withToken) => {
          const head = await t.store.head();
          const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
          const r = await api.request(method, path, { raw: body, headers, token: withToken ? token : undefined });
          expect(r.status).toBeLessThan(500);
          if (r.status >= 400) {
            expect(r.body?.error).toBeDefined();
            expect(await t.store.head()).toBe(head);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random query strings on GET routes: never a 5xx', async () => {
    const q = fc.dictionary(
      fc.constantFrom('limit', 'before', 'after', 'k', 'q', 'roomId', 'stream'),
      fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String), fc.constant(roomId)),
      { maxKeys: 4 },
    );
    const paths = [`/api/v1/rooms/${roomId}/messages`, '/api/v1/events', '/api/v1/messages/search', `/api/v1/agents/${agentId}/knowledge/search`];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), q, async (path, query) => {
        const r = await api.get(`${path}?${new URLSearchParams(query)}`, { token });
        expect(r.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });

  it('random WebSocket frames: an error frame or an answer, never internal_error, and the socket stays open', async () => {
    const s = await connectWs(t.wsUrl, token);
    const frame = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record(
          {
            type: fc.constantFrom('subscribe', 'unsubscribe', 'message', 'ping', 'auth', 'bogus', ''),
            roomId: field(),
            afterSeq: fc.oneof(fc.integer(), fc.double(), field()),
            text: field(),
            clientMessageId: field(),
            token: field(),
          },
          { requiredKeys: ['type'] },
        )
        .map((f) => JSON.stringify(f)),
    );
    let pings = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        s.send(f);
        s.send({ type: 'ping' });
        pings++;
        await s.next((x) => x.type === 'pong');
        expect(s.ws.readyState).toBe(s.ws.OPEN);
      }),
      { numRuns: 300 },
    );
    // Some random frames are pings themselves: at least one pong per probe.
    expect(s.frames.filter((x) => x.type === 'pong').length).toBeGreaterThanOrEqual(pings);
    expect(s.frames.filter((x) => x.type === 'error' && x.code === 'internal_error')).toEqual([]);
    s.close();
  });
});
