import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.ts';
import { hasRole } from '../../src/auth/roles.ts';
import { TokenService, hashRefreshToken } from '../../src/auth/tokens.ts';

describe('passwords (scrypt)', () => {
  it('verifies the right password and refuses a wrong one; salts differ', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });
});

describe('access tokens', () => {
  it('expire after the TTL (clock injected)', async () => {
    let now = 1_700_000_000_000;
    const tokens = new TokenService('a-secret-of-enough-length-0123456789', 60, 3600, () => now);
    const jwt = await tokens.issueAccess('acct-1', 'operator');
    const ok = await tokens.verifyAccess(jwt);
    expect(ok).toMatchObject({ ok: true, principal: { accountId: 'acct-1', role: 'operator' } });
    now += 61_000;
    expect(await tokens.verifyAccess(jwt)).toEqual({ ok: false, reason: 'expired' });
    expect(await tokens.verifyAccess(undefined)).toEqual({ ok: false, reason: 'missing' });
  });

  it('a token signed with another secret is invalid', async () => {
    const a = new TokenService('secret-a-secret-a-secret-a-secret-a', 60, 3600);
    const b = new TokenService('secret-b-secret-b-secret-b-secret-b', 60, 3600);
    expect(await b.verifyAccess(await a.issueAccess('x', 'user'))).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('refresh tokens', () => {
  it('carry their expiry; only the sha256 is stored', () => {
    let now = 1_700_000_000_000;
    const tokens = new TokenService('s'.repeat(40), 60, 3600, () => now);
    const { token, hash } = tokens.newRefreshToken();
    expect(hash).toBe(hashRefreshToken(token));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens.refreshExpired(token)).toBe(false);
    now += 3601_000;
    expect(tokens.refreshExpired(token)).toBe(true);
    expect(tokens.refreshExpired('garbage')).toBe(true);
  });
});

describe('roles', () => {
  it('are ordered user < operator < admin', () => {
    expect(hasRole('admin', 'operator')).toBe(true);
    expect(hasRole('operator', 'user')).toBe(true);
    expect(hasRole('user', 'operator')).toBe(false);
    expect(hasRole('operator', 'admin')).toBe(false);
  });
});
