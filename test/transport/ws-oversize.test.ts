import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient } from '../support/http-client.ts';
import { connectWs } from '../support/ws-client.ts';

let t: TestServer;
let token: string;
let roomId: string;
const LIMIT = 4096;
beforeAll(async () => {
  t = await startTestServer({ maxBodyBytes: LIMIT });
  const api = apiClient(t.url);
  token = (await api.login('admin', t.adminPassword)).accessToken;
  roomId = (await api.post('/api/v1/rooms', { name: 'big frames' }, { token })).body.room.id;
});
afterAll(async () => t?.close());

// Issue 15 finding 12: a frame over MAX_BODY_BYTES closed with 1009 only up to uWebSockets' own
// limit (2× MAX_BODY_BYTES); beyond it uWS cut the connection and the client saw 1006 (no close
// frame, no reason). Now uWS reads frames up to 16 MB and the server refuses them with 1009.
it.each([
  ['just over the limit', LIMIT + 10],
  ['3× the limit', 3 * LIMIT],
  ['1,000× the limit (4 MB)', 1000 * LIMIT],
  ['just under the 16 MB ceiling', 16 * 1024 * 1024 - 1024],
])('a frame %s closes the socket with 1009 and a reason; nothing is appended', async (_name, size) => {
  const head = await t.store.head();
  const s = await connectWs(t.wsUrl, token);
  s.send({ type: 'message', roomId, text: 'x'.repeat(size) });
  const closed = await s.closed;
  expect(closed.code).toBe(1009);
  expect(closed.reason).toMatch(new RegExp(`${LIMIT}`));
  expect(await t.store.head()).toBe(head);
});

it('the server goes on serving sockets after them', async () => {
  const s = await connectWs(t.wsUrl, token);
  s.send({ type: 'ping' });
  expect(await s.next()).toEqual({ type: 'pong' });
  s.close();
});
