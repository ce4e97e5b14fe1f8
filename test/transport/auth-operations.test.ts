import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/settings/settings.ts';
import { openChronicle, type Chronicle } from '../../src/app/chronicle.ts';
import { bootstrap } from '../../src/app/bootstrap.ts';
import { startServer, type RunningServer } from '../../src/transport/server.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { builtIns } from '../../plugins/built-in.ts';

/**
 * Sign-out, password change, token versions, room owners and the per-account login back-off, on the
 * real composition root (projections included; the actors are not started: no agent has to answer).
 */
let dir: string;
let chronicle: Chronicle;
let server: RunningServer;
let api: ApiClient;
let admin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chronicle-auth-ops-'));
  const settings = readSettings({ DATA_DIR: dir, PORT: '0', RATE_LIMIT_PER_MIN: '0', LOG_LEVEL: 'silent', ADMIN_PASSWORD: 'admin-password-1' });
  chronicle = await openChronicle(settings, builtIns, { actors: false });
  await bootstrap(chronicle);
  server = await startServer(chronicle, { webRoot: false });
  api = apiClient(server.url);
  admin = (await api.login('admin', 'admin-password-1')).accessToken;
}, 60_000);

afterAll(async () => {
  await server?.close();
  await chronicle?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const me = (token: string) => api.get('/api/v1/accounts/me', { token });
const refreshWith = (refreshToken: string) => api.post('/api/v1/auth/refresh', { refreshToken });
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

describe('sign-out', () => {
  it('POST /auth/logout {refreshToken} revokes that family: its access and refresh tokens are refused at once; another session refreshes on', async () => {
    await api.register('lou', 'password-123');
    const a = await api.login('lou', 'password-123');
    const b = await api.login('lou', 'password-123');
    expect(claims(a.accessToken)).toMatchObject({ tv: expect.any(Number), fam: expect.any(String) });
    expect((await me(a.accessToken)).status).toBe(200);

    expect((await api.post('/api/v1/auth/logout', { refreshToken: a.refreshToken })).status).toBe(204);
    const refused = await me(a.accessToken);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('token_expired');
    expect((await refreshWith(a.refreshToken)).status).toBe(401);
    expect((await api.post('/api/v1/auth/logout', { refreshToken: a.refreshToken })).status).toBe(204); // again: nothing more
    expect((await api.post('/api/v1/auth/logout', { refreshToken: 'not-a-token' })).status).toBe(401);

    // The other session's access token is refused too (the account's token version moved) but it refreshes.
    expect((await me(b.accessToken)).status).toBe(401);
    const renewed = await refreshWith(b.refreshToken);
    expect(renewed.status).toBe(200);
    expect((await me(renewed.body.accessToken)).status).toBe(200);
    const revoked = await chronicle.store.readAll({ types: ['auth.family_revoked'], limit: 100 });
    expect(revoked.filter((e) => e.type === 'auth.family_revoked' && e.data.reason === 'signed out')).toHaveLength(1);
  });

  it('{} with a bearer token signs out the caller’s session; {all: true} ends every session of the account', async () => {
    await api.register('alba', 'password-123');
    const a = await api.login('alba', 'password-123');
    const b = await api.login('alba', 'password-123');
    const c = await api.login('alba', 'password-123');
    expect((await api.post('/api/v1/auth/logout', {})).status).toBe(401); // neither a refresh token nor a bearer
    expect((await api.post('/api/v1/auth/logout', {}, { token: a.accessToken })).status).toBe(204);
    expect((await refreshWith(a.refreshToken)).status).toBe(401);
    const bAgain = (await refreshWith(b.refreshToken)).body;
    expect((await api.post('/api/v1/auth/logout', { all: true }, { token: bAgain.accessToken })).status).toBe(204);
    expect((await refreshWith(bAgain.refreshToken)).status).toBe(401);
    expect((await refreshWith(c.refreshToken)).status).toBe(401);
    expect((await api.post('/api/v1/auth/logout', { all: 'yes' }, { token: (await api.login('alba', 'password-123')).accessToken })).status).toBe(400);
  });
});

describe('password change', () => {
  it('needs the current password, ends the other sessions and every access token; this session refreshes on', async () => {
    await api.register('pia', 'password-123');
    const mine = await api.login('pia', 'password-123');
    const other = await api.login('pia', 'password-123');
    const token = { token: mine.accessToken };

    expect((await api.post('/api/v1/auth/password', { currentPassword: 'wrong-password', newPassword: 'new-password-456' }, token)).status).toBe(403);
    expect((await api.post('/api/v1/auth/password', { currentPassword: 'password-123', newPassword: 'short' }, token)).status).toBe(400);
    expect((await api.post('/api/v1/auth/password', { currentPassword: 'password-123' }, token)).status).toBe(400);

    const changed = await api.post('/api/v1/auth/password', { currentPassword: 'password-123', newPassword: 'new-password-456' }, token);
    expect(changed.status).toBe(204);
    expect((await me(mine.accessToken)).status).toBe(401); // issued before the change
    expect((await refreshWith(other.refreshToken)).status).toBe(401); // the other session is over
    const renewed = await refreshWith(mine.refreshToken); // this one goes on
    expect(renewed.status).toBe(200);
    expect((await me(renewed.body.accessToken)).status).toBe(200);

    expect((await api.post('/api/v1/auth/login', { username: 'pia', password: 'password-123' })).status).toBe(401);
    expect((await api.post('/api/v1/auth/login', { username: 'pia', password: 'new-password-456' })).status).toBe(200);
    const events = await chronicle.store.readAll({ types: ['account.password_changed'], limit: 100 });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain('new-password-456');
    const listed = await api.get('/api/v1/events?type=account.password_changed', { token: admin });
    expect(listed.body.events.map((e: any) => e.data.passwordHash)).toEqual(['enc:v1:(redacted)']);
  });
});

describe('role changes take effect at once', () => {
  it('a demoted operator’s access token is refused before it expires; a refresh gives the new role', async () => {
    await api.post('/api/v1/accounts', { username: 'oscar', password: 'password-123', role: 'operator' }, { token: admin });
    const s = await api.login('oscar', 'password-123');
    expect((await api.get('/api/v1/events', { token: s.accessToken })).status).toBe(200);
    expect((await api.patch(`/api/v1/accounts/${s.account.id}`, { role: 'user' }, { token: admin })).status).toBe(200);
    expect((await api.get('/api/v1/events', { token: s.accessToken })).status).toBe(401);
    const renewed = await refreshWith(s.refreshToken);
    expect(renewed.body.account.role).toBe('user');
    expect((await api.get('/api/v1/events', { token: renewed.body.accessToken })).status).toBe(403);
  });
});

describe('room owners', () => {
  it('the creator (or an admin) adds accounts and removes others; a member adds agents and may only leave', async () => {
    const owner = await api.register('olga');
    const member = await api.register('mick');
    const third = await api.register('tess');
    const agents = (await api.get('/api/v1/agents', { token: admin })).body.agents;
    const room = (await api.post('/api/v1/rooms', { name: 'owned' }, { token: owner.accessToken })).body.room;
    const participants = `/api/v1/rooms/${room.id}/participants`;

    expect((await api.post(participants, { accountId: member.account.id }, { token: owner.accessToken })).status).toBe(201);
    const add = await api.post(participants, { accountId: third.account.id }, { token: member.accessToken });
    expect(add.status).toBe(403);
    expect(add.body.error.message).toMatch(/owner/);
    expect((await api.post(participants, { agentId: agents[0].id }, { token: member.accessToken })).status).toBe(201);
    expect((await api.del(`${participants}/${owner.account.id}`, { token: member.accessToken })).status).toBe(403);
    expect((await api.del(`${participants}/${agents[0].id}`, { token: member.accessToken })).status).toBe(403);

    expect((await api.del(`${participants}/${member.account.id}`, { token: member.accessToken })).status).toBe(204); // leave
    expect((await api.get(`/api/v1/rooms/${room.id}`, { token: member.accessToken })).status).toBe(404);
    expect((await api.post(participants, { accountId: third.account.id }, { token: admin })).status).toBe(201);
    expect((await api.del(`${participants}/${third.account.id}`, { token: owner.accessToken })).status).toBe(204);
  });
});

describe('per-account login back-off', () => {
  it('1,500 wrong passwords for one account end in 429s with retry-after; the same IP logs into other accounts meanwhile', async () => {
    await api.register('victim', 'password-123');
    await api.register('bystander', 'password-123');
    const statuses = new Map<number, number>();
    let retryAfter: string | null = null;
    for (let sent = 0; sent < 1500; sent += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => api.post('/api/v1/auth/login', { username: 'victim', password: 'guess-guess' })));
      for (const r of batch) {
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 429) retryAfter ??= r.headers.get('retry-after');
      }
    }
    expect(statuses.get(200)).toBeUndefined();
    // 5 free attempts, then one after 1 s, 2 s, 4 s…: over a run of seconds, a handful of 401s at most.
    expect(statuses.get(401) ?? 0).toBeGreaterThanOrEqual(5);
    expect(statuses.get(401) ?? 0).toBeLessThanOrEqual(10);
    expect(statuses.get(429)).toBeGreaterThanOrEqual(1490);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);

    // Not an IP lock-out: another account logs in from the same address, and the API answers.
    expect((await api.post('/api/v1/auth/login', { username: 'bystander', password: 'password-123' })).status).toBe(200);
    expect((await api.get('/api/v1/health')).status).toBe(200);
    // The attacked account itself waits out its back-off, right password or not: right after a 429 (the
    // loop above may have outlasted the last window on a slow machine, so one is asked for first), the
    // right password is refused too.
    let last = 0;
    for (let i = 0; i < 20 && last !== 429; i++) last = (await api.post('/api/v1/auth/login', { username: 'victim', password: 'guess-guess' })).status;
    expect(last).toBe(429);
    expect((await api.post('/api/v1/auth/login', { username: 'victim', password: 'password-123' })).status).toBe(429);
    // Unknown names back off the same way (a 429 says nothing about which names exist).
    const ghost = [];
    for (let i = 0; i < 7; i++) ghost.push((await api.post('/api/v1/auth/login', { username: 'nobody-here', password: 'x' })).status);
    expect(ghost.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(ghost.slice(5)).toEqual([429, 429]);
  }, 60_000);
});
