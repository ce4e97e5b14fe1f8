import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';

let t: TestServer;
let api: ApiClient;
let admin: string;
let alice: { accessToken: string; refreshToken: string; account: { id: string } };
let bob: { accessToken: string; refreshToken: string; account: { id: string } };
let aliceRoom: string;

const sign = (secret: string, claims: Record<string, unknown>, exp: number) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(claims.sub))
    .setIssuedAt(exp - 900)
    .setExpirationTime(exp)
    .setJti('j')
    .sign(new TextEncoder().encode(secret));

beforeAll(async () => {
  t = await startTestServer();
  api = apiClient(t.url);
  admin = (await api.login('admin', t.adminPassword)).accessToken;
  alice = await api.register('alice');
  bob = await api.register('bob');
  aliceRoom = (await api.post('/api/v1/rooms', { name: 'alice only' }, { token: alice.accessToken })).body.room.id;
});
afterAll(async () => t?.close());

describe('access token checks', () => {
  it('no token → 401 on every protected route', async () => {
    for (const [m, p] of [
      ['GET', '/api/v1/agents'],
      ['GET', '/api/v1/accounts/me'],
      ['GET', '/api/v1/rooms'],
      ['GET', '/api/v1/events'],
      ['GET', '/v1/models'],
      ['GET', '/api/v1/metrics'],
    ]) {
      const r = await api.request(m, p);
      expect(r.status, p).toBe(401);
    }
    expect((await api.get('/api/v1/health')).status).toBe(200);
  });

  it('a token with a bad signature → 401; garbage → 401; another alg (none) → 401', async () => {
    const forged = await sign('not-the-secret-not-the-secret-xx', { sub: alice.account.id, role: 'admin' }, Math.floor(Date.now() / 1000) + 600);
    expect((await api.get('/api/v1/accounts/me', { token: forged })).status).toBe(401);
    expect((await api.get('/api/v1/accounts/me', { token: 'not.a.jwt' })).status).toBe(401);
    const [, payload] = alice.accessToken.split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    expect((await api.get('/api/v1/accounts/me', { token: none })).status).toBe(401);
  });

  it('an expired token → 401 token_expired', async () => {
    const expired = await sign(t.chronicle.jwtSecret, { sub: alice.account.id, role: 'user' }, Math.floor(Date.now() / 1000) - 10);
    const r = await api.get('/api/v1/accounts/me', { token: expired });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('token_expired');
  });

  it('the access token is HS256 with sub, role, iat, exp (= iat + ACCESS_TOKEN_TTL), jti, tv (token version) and fam (refresh family)', () => {
    const [h, p] = alice.accessToken
      .split('.')
      .slice(0, 2)
      .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()));
    expect(h.alg).toBe('HS256');
    expect(p).toEqual({
      sub: alice.account.id,
      role: 'user',
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
      tv: 0,
      fam: expect.any(String),
    });
    expect(p.exp - p.iat).toBe(900);
  });
});

describe('roles and membership', () => {
  it('a user gets 403 on operator and admin routes', async () => {
    expect((await api.post('/api/v1/agents', { name: 'X', bio: 'x' }, { token: alice.accessToken })).status).toBe(403);
    expect((await api.get('/api/v1/events', { token: alice.accessToken })).status).toBe(403);
    expect((await api.get('/api/v1/actors', { token: alice.accessToken })).status).toBe(403);
    expect((await api.get('/api/v1/metrics', { token: alice.accessToken })).status).toBe(403);
    expect((await api.get('/api/v1/accounts', { token: alice.accessToken })).status).toBe(403);
    expect((await api.post('/api/v1/accounts', { username: 'zz', password: 'password-1' }, { token: alice.accessToken })).status).toBe(403);
  });

  it('an operator gets 403 on admin routes', async () => {
    await api.post('/api/v1/accounts', { username: 'opal', password: 'password-1', role: 'operator' }, { token: admin });
    const op = (await api.login('opal', 'password-1')).accessToken;
    expect((await api.get('/api/v1/events', { token: op })).status).toBe(200);
    expect((await api.get('/api/v1/accounts', { token: op })).status).toBe(403);
  });

  it("another user's room is a 404 for reading, posting, messages, participants and search", async () => {
    const b = bob.accessToken;
    expect((await api.get(`/api/v1/rooms/${aliceRoom}`, { token: b })).status).toBe(404);
    expect((await api.get(`/api/v1/rooms/${aliceRoom}/messages`, { token: b })).status).toBe(404);
    expect((await api.post('/api/v1/messages', { roomId: aliceRoom, text: 'hi' }, { token: b })).status).toBe(404);
    expect((await api.post(`/api/v1/rooms/${aliceRoom}/participants`, { accountId: bob.account.id }, { token: b })).status).toBe(404);
    expect((await api.get(`/api/v1/messages/search?roomId=${aliceRoom}&q=hi`, { token: b })).status).toBe(404);
    expect((await api.get('/api/v1/rooms', { token: b })).body.rooms).toEqual([]);
  });

  it('a role change takes effect at the next refresh, not before', async () => {
    const carol = await api.register('carol');
    await api.patch(`/api/v1/accounts/${carol.account.id}`, { role: 'operator' }, { token: admin });
    expect((await api.get('/api/v1/events', { token: carol.accessToken })).status).toBe(403);
    const refreshed = await api.post('/api/v1/auth/refresh', { refreshToken: carol.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.account.role).toBe('operator');
    expect((await api.get('/api/v1/events', { token: refreshed.body.accessToken })).status).toBe(200);
  });
});

describe('refresh rotation', () => {
  it('a refresh token works once; the new one works; a reused one → 401 and revokes the whole family', async () => {
    const s = await api.register('dave');
    const r1 = await api.post('/api/v1/auth/refresh', { refreshToken: s.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(s.refreshToken);
    const reuse = await api.post('/api/v1/auth/refresh', { refreshToken: s.refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('refresh_token_reused');
    const revoked = await t.store.readAll({ types: ['auth.family_revoked'], limit: 100 });
    expect(revoked.some((e) => e.type === 'auth.family_revoked' && e.data.accountId === s.account.id)).toBe(true);
    // The thief's (or the user's) newer token from the same family is dead too.
    expect((await api.post('/api/v1/auth/refresh', { refreshToken: r1.body.refreshToken })).status).toBe(401);
    // A fresh login starts a new family.
    const again = await api.login('dave', 'password-123');
    expect((await api.post('/api/v1/auth/refresh', { refreshToken: again.refreshToken })).status).toBe(200);
  });

  it('two concurrent refreshes with one token: exactly one wins', async () => {
    const s = await api.register('erin');
    const [a, b] = await Promise.all([
      api.post('/api/v1/auth/refresh', { refreshToken: s.refreshToken }),
      api.post('/api/v1/auth/refresh', { refreshToken: s.refreshToken }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
  });

  it('an unknown refresh token → 401 and changes nothing', async () => {
    const head = await t.store.head();
    expect((await api.post('/api/v1/auth/refresh', { refreshToken: '999.bogus' })).status).toBe(401);
    expect(await t.store.head()).toBe(head);
  });

  it('the log holds only sha256 hashes of refresh tokens and sealed password hashes', async () => {
    const all = JSON.stringify(await t.store.readAll({ limit: 10_000 }));
    expect(all).not.toContain(alice.refreshToken);
    expect(all).not.toContain('password-123');
    expect(all).not.toMatch(/scrypt\$/);
    const reg = (await t.store.readAll({ types: ['account.registered'], limit: 100 }))[0];
    expect(reg.type === 'account.registered' && reg.data.passwordHash).toMatch(/^enc:v1:/);
  });
});

describe('privilege escalation', () => {
  it('register ignores a role in the body: every self-registered account is a user', async () => {
    const r = await api.post('/api/v1/auth/register', { username: 'sneaky', password: 'password-1', role: 'admin' });
    expect(r.status).toBe(201);
    expect(r.body.account.role).toBe('user');
    expect((await api.get('/api/v1/accounts', { token: r.body.accessToken })).status).toBe(403);
  });

  it('a user cannot change its own role', async () => {
    const me = await api.register('climber');
    expect((await api.patch(`/api/v1/accounts/${me.account.id}`, { role: 'admin' }, { token: me.accessToken })).status).toBe(403);
  });
});

describe('registration switch', () => {
  it('OPEN_REGISTRATION=false → register is 403 and appends nothing; admin can still create accounts', async () => {
    const closed = await startTestServer({ openRegistration: false });
    const c = apiClient(closed.url);
    const head = await closed.store.head();
    const r = await c.post('/api/v1/auth/register', { username: 'nope', password: 'password-1' });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('registration_closed');
    expect(await closed.store.head()).toBe(head);
    const tok = (await c.login('admin', closed.adminPassword)).accessToken;
    expect((await c.post('/api/v1/accounts', { username: 'invited', password: 'password-1' }, { token: tok })).status).toBe(201);
    await closed.close();
  });
});
