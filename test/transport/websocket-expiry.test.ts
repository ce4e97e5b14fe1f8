import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { connectWs } from '../support/ws-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** JWT exp is whole seconds: when a token issued now expires, at the latest. */
const expiresBy = (ttlS: number) => (Math.floor(Date.now() / 1000) + ttlS) * 1000;

let t: TestServer;
let api: ApiClient;

beforeAll(async () => {
  t = await startTestServer({ accessTokenTtlS: 3 });
  api = apiClient(t.url);
});
afterAll(async () => t?.close());

describe('a WebSocket does not outlive its access token', () => {
  it('closes with 4401 when the token it authenticated with expires', async () => {
    const expiry = expiresBy(3);
    const s = await connectWs(t.wsUrl, (await api.login('admin', t.adminPassword)).accessToken);
    const closed = await s.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/expired/);
    expect(Date.now()).toBeGreaterThanOrEqual(expiry - 1000);
  }, 10_000);

  it('stays open past the old expiry after an auth frame with a fresh token of the same account', async () => {
    const first = await api.login('admin', t.adminPassword);
    const firstExpiry = expiresBy(3);
    const s = await connectWs(t.wsUrl, first.accessToken);
    let closedAt = 0;
    void s.closed.then(() => (closedAt = Date.now()));
    await sleep(1100); // the next token's whole-second expiry is at least one second later
    s.send({ type: 'auth', token: (await api.login('admin', t.adminPassword)).accessToken });
    const secondExpiry = expiresBy(3);
    await sleep(Math.max(0, firstExpiry - Date.now()) + 300);
    s.send({ type: 'ping' });
    expect(await s.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });
    expect(closedAt).toBe(0);
    expect((await s.closed).code).toBe(4401);
    expect(Date.now()).toBeGreaterThanOrEqual(secondExpiry - 1000);
  }, 10_000);

  it('a bad token in a later auth frame is an error frame, and a token of another account closes the socket', async () => {
    const admin = await api.login('admin', t.adminPassword);
    const s = await connectWs(t.wsUrl, admin.accessToken);
    s.send({ type: 'auth', token: 'garbage' });
    expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'unauthorized' });
    s.send({ type: 'ping' });
    expect(await s.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });
    const other = await api.register(`other-${Date.now()}`);
    s.send({ type: 'auth', token: other.accessToken });
    expect((await s.closed).code).toBe(4401);
  }, 10_000);
});
