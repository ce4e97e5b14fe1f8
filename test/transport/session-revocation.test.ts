import { describe, expect, it } from 'vitest';
import type { AnyRecordedEvent } from '../../src/events/envelope.ts';
import { revocationEffect, staleSessionReason } from '../../src/transport/session-revocation.ts';

/** The rule table of session-revocation.ts, event by event (the socket-level behaviour is in websocket-revocation.test.ts). */
const ev = (type: string, data: Record<string, unknown>) => ({ type, data, seq: 1 }) as unknown as AnyRecordedEvent;
const caller = { accountId: 'acc', role: 'operator' as const, familyId: 'fam-a', tokenVersion: 3 };

describe('revocationEffect', () => {
  it('ignores other accounts and events that end no session', () => {
    expect(revocationEffect(ev('auth.sessions_revoked', { accountId: 'other', reason: 'x' }), caller)).toBeUndefined();
    expect(revocationEffect(ev('auth.refresh_issued', { accountId: 'acc', familyId: 'fam-a', tokenHash: 'h' }), caller)).toBeUndefined();
    expect(revocationEffect(ev('message.posted', { accountId: 'acc' }), caller)).toBeUndefined();
  });

  it('a revoked family ends its own sockets (and those of a token without a family); other sessions go on', () => {
    expect(revocationEffect(ev('auth.family_revoked', { accountId: 'acc', familyId: 'fam-a', reason: 'refresh token reused' }), caller)).toEqual({
      ended: expect.stringContaining('refresh token reused'),
    });
    expect(revocationEffect(ev('auth.family_revoked', { accountId: 'acc', familyId: 'fam-b', reason: 'signed out' }), caller)).toBe('goes-on');
    expect(
      revocationEffect(ev('auth.family_revoked', { accountId: 'acc', familyId: 'fam-b', reason: 'signed out' }), { ...caller, familyId: undefined }),
    ).toEqual({ ended: expect.any(String) });
  });

  it('a password change keeps only the session that made it; a reset keeps none', () => {
    expect(revocationEffect(ev('account.password_changed', { accountId: 'acc', reason: 'changed', keepFamilyId: 'fam-a' }), caller)).toBe('goes-on');
    expect(revocationEffect(ev('account.password_changed', { accountId: 'acc', reason: 'changed', keepFamilyId: 'fam-b' }), caller)).toEqual({
      ended: expect.stringContaining('password changed'),
    });
    expect(revocationEffect(ev('account.password_changed', { accountId: 'acc', reason: 'reset' }), caller)).toEqual({
      ended: expect.stringContaining('password reset'),
    });
  });

  it('a role change to another role ends the socket, up or down', () => {
    expect(revocationEffect(ev('account.role_changed', { accountId: 'acc', role: 'user' }), caller)).toEqual({
      ended: expect.stringContaining('role changed'),
    });
    expect(revocationEffect(ev('account.role_changed', { accountId: 'acc', role: 'admin' }), caller)).toEqual({
      ended: expect.stringContaining('role changed'),
    });
  });
});

describe('staleSessionReason', () => {
  const model = (account?: { role: string; tokenVersion?: number }) => ({
    accountById: () => account && ({ id: 'acc', username: 'u', name: 'u', createdAt: '', ...account } as never),
  });
  it('refuses a missing account, another role, or a token version moved past the socket’s; tolerates a read model that lags', () => {
    expect(staleSessionReason(model(undefined), caller)).toMatch(/no longer exists/);
    expect(staleSessionReason(model({ role: 'user', tokenVersion: 3 }), caller)).toMatch(/role changed/);
    expect(staleSessionReason(model({ role: 'operator', tokenVersion: 4 }), caller)).toMatch(/session ended/);
    expect(staleSessionReason(model({ role: 'operator', tokenVersion: 3 }), caller)).toBeUndefined();
    expect(staleSessionReason(model({ role: 'operator', tokenVersion: 2 }), caller)).toBeUndefined();
  });
});
