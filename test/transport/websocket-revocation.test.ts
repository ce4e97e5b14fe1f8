import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSettings } from '../../src/settings/settings.ts';
import { openChronicle, type Chronicle } from '../../src/app/chronicle.ts';
import { bootstrap } from '../../src/app/bootstrap.ts';
import { startServer, type RunningServer } from '../../src/transport/server.ts';
import { LogFanout } from '../../src/transport/fanout.ts';
import { isRevocationEvent } from '../../src/transport/session-revocation.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { connectWs, type TestSocket } from '../support/ws-client.ts';
import { builtIns } from '../../plugins/built-in.ts';

/**
 * An open WebSocket ends with its session: sign-out (one session or all), a password change and a role
 * change close the sockets they revoke (4401), on the real composition root (projections included, no
 * actors) with real sockets. Before this, such a socket kept reading and posting until its token expired.
 */
let dir: string;
let chronicle: Chronicle;
let server: RunningServer;
let api: ApiClient;
let admin: string;
/** Set by one test: the hub does not hear revocations, as if its socket had slipped past them. */
let muteRevocations = false;

beforeAll(async () => {
  const realOnAny = LogFanout.prototype.onAny;
  vi.spyOn(LogFanout.prototype, 'onAny').mockImplementation(function (this: LogFanout, listener) {
    return realOnAny.call(this, (e) => (muteRevocations && isRevocationEvent(e) ? undefined : listener(e)));
  });
  dir = mkdtempSync(join(tmpdir(), 'chronicle-ws-revoke-'));
  const settings = readSettings({ DATA_DIR: dir, PORT: '0', RATE_LIMIT_PER_MIN: '0', LOG_LEVEL: 'silent', ADMIN_PASSWORD: 'admin-password-1' });
  chronicle = await openChronicle(settings, builtIns, { actors: false });
  await bootstrap(chronicle);
  server = await startServer(chronicle, { webRoot: false });
  api = apiClient(server.url);
  admin = (await api.login('admin', 'admin-password-1')).accessToken;
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await server?.close();
  await chronicle?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const wsUrl = () => server.url.replace(/^http/, 'ws') + '/ws';
const me = (token: string) => api.get('/api/v1/accounts/me', { token });
/** How long after the revoking request answered a socket may still be open. */
const BOUND_MS = 2000;

async function closedWithin(s: TestSocket, ms = BOUND_MS): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms)));
  try {
    return await Promise.race([s.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function subscribed(token: string, roomId: string): Promise<TestSocket> {
  const s = await connectWs(wsUrl(), token);
  s.send({ type: 'subscribe', roomId });
  await s.next((f) => f.type === 'subscribed');
  return s;
}

async function roomOf(token: string, name: string): Promise<string> {
  return (await api.post('/api/v1/rooms', { name }, { token })).body.room.id;
}

async function post(token: string, roomId: string, text: string): Promise<number> {
  const r = await api.post('/api/v1/messages', { roomId, text }, { token });
  expect(r.status).toBe(202);
  return r.body.message.seq;
}

/** Posting on a socket works: the message is acked (the ack is returned). */
async function postsOn(s: TestSocket, roomId: string, clientMessageId: string): Promise<{ messageId: string; seq: number }> {
  s.send({ type: 'message', roomId, text: 'still here', clientMessageId });
  const ack = await s.next((f) => f.type === 'ack' && f.clientMessageId === clientMessageId);
  expect(ack).toMatchObject({ messageId: expect.any(String), seq: expect.any(Number) });
  return ack;
}

const messagesAfter = (s: TestSocket, seq: number) => s.frames.filter((f) => f.type === 'message' && f.message.seq > seq);

describe('sign-out closes the sockets of the sessions it ends', () => {
  it('logout of one session closes its socket only; logout {all: true} closes the rest; another account is untouched', async () => {
    await api.register('lena', 'password-123');
    const a = await api.login('lena', 'password-123');
    const b = await api.login('lena', 'password-123');
    const room = await roomOf(a.accessToken, 'lena room');
    const other = await api.register('omar', 'password-123');
    const otherRoom = await roomOf(other.accessToken, 'omar room');
    const [sa, sb, so] = [await subscribed(a.accessToken, room), await subscribed(b.accessToken, room), await subscribed(other.accessToken, otherRoom)];

    expect((await api.post('/api/v1/auth/logout', {}, { token: a.accessToken })).status).toBe(204);
    expect(await closedWithin(sa)).toMatchObject({ code: 4401, reason: expect.stringMatching(/session ended/) });
    await postsOn(sb, room, 'b-after-a-left'); // b's session goes on (its REST token refreshes; its socket keeps working)

    const revoked = await api.post('/api/v1/auth/logout', { refreshToken: b.refreshToken, all: true });
    expect(revoked.status).toBe(204);
    const revokedAt = await chronicle.store.head();
    expect(await closedWithin(sb)).toMatchObject({ code: 4401, reason: expect.stringMatching(/session ended \(signed out everywhere\)/) });

    // What is posted afterwards reaches neither socket; REST refuses both old access tokens.
    const again = await api.login('lena', 'password-123');
    await post(again.accessToken, room, 'after sign-out');
    expect((await me(a.accessToken)).status).toBe(401);
    expect((await me(b.accessToken)).status).toBe(401);
    expect(messagesAfter(sa, revokedAt)).toEqual([]);
    expect(messagesAfter(sb, revokedAt)).toEqual([]);

    // Omar's socket neither closed nor missed anything.
    const seq = await post(other.accessToken, otherRoom, 'omar still here');
    expect(await so.next((f) => f.type === 'message' && f.message.seq === seq)).toBeTruthy();
    await postsOn(so, otherRoom, 'omar-1');
    so.close();
  });
});

describe('a password change', () => {
  it('closes the other sessions’ sockets and keeps the socket of the session that changed it', async () => {
    await api.register('pavel', 'password-123');
    const mine = await api.login('pavel', 'password-123');
    const other = await api.login('pavel', 'password-123');
    const room = await roomOf(mine.accessToken, 'pavel room');
    const [sMine, sOther] = [await subscribed(mine.accessToken, room), await subscribed(other.accessToken, room)];

    const changed = await api.post('/api/v1/auth/password', { currentPassword: 'password-123', newPassword: 'new-password-456' }, { token: mine.accessToken });
    expect(changed.status).toBe(204);
    const changedAt = await chronicle.store.head();
    expect(await closedWithin(sOther)).toMatchObject({ code: 4401, reason: expect.stringMatching(/password changed/) });

    // API.md: the changing session goes on (REST by refreshing); its socket keeps reading and posting.
    const ack = await postsOn(sMine, room, 'mine-after-change');
    expect(await sMine.next((f) => f.type === 'message' && f.message.id === ack.messageId)).toBeTruthy();
    expect(messagesAfter(sOther, changedAt)).toEqual([]);
    expect((await me(other.accessToken)).status).toBe(401);
    sMine.close();
  });
});

describe('a role change', () => {
  it('a demoted operator’s socket on a room it could read only as operator closes, and hears nothing after', async () => {
    const adminRoom = await roomOf(admin, 'admins only');
    await api.post('/api/v1/accounts', { username: 'opal', password: 'password-123', role: 'operator' }, { token: admin });
    const opal = await api.login('opal', 'password-123');
    const s = await subscribed(opal.accessToken, adminRoom);
    const before = await post(admin, adminRoom, 'before demotion');
    await s.next((f) => f.type === 'message' && f.message.seq === before);

    expect((await api.patch(`/api/v1/accounts/${opal.account.id}`, { role: 'user' }, { token: admin })).status).toBe(200);
    const demotedAt = await chronicle.store.head();
    expect(await closedWithin(s)).toMatchObject({ code: 4401, reason: expect.stringMatching(/role changed/) });
    await post(admin, adminRoom, 'after demotion');
    expect(messagesAfter(s, demotedAt)).toEqual([]);
    expect((await me(opal.accessToken)).status).toBe(401);
  });
});

describe('a socket that slipped past the revocation', () => {
  it('has its next message frame refused (error frame, 4401) and nothing is appended', async () => {
    await api.register('mia', 'password-123');
    const mia = await api.login('mia', 'password-123');
    const room = await roomOf(mia.accessToken, 'mia room');
    const s = await subscribed(mia.accessToken, room);
    muteRevocations = true;
    try {
      expect((await api.post('/api/v1/auth/logout', { all: true }, { token: mia.accessToken })).status).toBe(204);
      s.send({ type: 'ping' });
      await s.next((f) => f.type === 'pong'); // still open: the hub did not hear of it
      const head = await chronicle.store.head();

      s.send({ type: 'message', roomId: room, text: 'after sign-out', clientMessageId: 'late' });
      expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'unauthorized', clientMessageId: 'late' });
      expect(await closedWithin(s)).toMatchObject({ code: 4401, reason: expect.stringMatching(/session ended/) });
      expect(await chronicle.store.head()).toBe(head);
      expect(s.frames.some((f) => f.type === 'ack')).toBe(false);
    } finally {
      muteRevocations = false;
    }
  });
});
