import { createHash, timingSafeEqual } from 'node:crypto';
import type { Caller } from '../app/commands/context.ts';
import { tokensOf } from '../app/commands/context.ts';
import { AppError, unauthorized } from '../app/errors.ts';
import type { TransportChronicle } from './types.ts';

/** Bearer token → the caller, or a 401 saying why (missing, invalid, expired, unknown account). */
export async function authenticate(chronicle: TransportChronicle, token: string | undefined): Promise<Caller> {
  if (token !== undefined && !isCanonicalJws(token)) throw unauthorized('access token is invalid');
  const verdict = await tokensOf(chronicle).verifyAccess(token);
  if (!verdict.ok) {
    if (verdict.reason === 'missing') throw unauthorized('authorization: Bearer <accessToken> is required');
    if (verdict.reason === 'expired') throw new AppError(401, 'token_expired', 'access token expired; refresh it');
    throw unauthorized('access token is invalid');
  }
  const { principal } = verdict;
  const account = chronicle.readModel.accountById(principal.accountId);
  if (!account) throw unauthorized('the account of this token does not exist');
  // Sign-out, a password change or reset, or a role change since it was issued: refused before it expires.
  if ((account.tokenVersion ?? 0) !== principal.tokenVersion) {
    throw new AppError(401, 'token_expired', 'access token was revoked (sign-out, password or role change); refresh it or log in again');
  }
  return {
    accountId: principal.accountId,
    role: principal.role,
    expiresAt: principal.exp * 1000,
    familyId: principal.familyId,
    tokenVersion: principal.tokenVersion,
  };
}

export function bearerToken(header: string): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/**
 * Base64url decoding ignores the unused low bits of a segment's last character, so a token whose
 * signature's last character was changed can still verify (3 of the 63 other characters do for an
 * HS256 signature): an "altered" token that authenticates. Only the one canonical spelling of each
 * segment is accepted — the spelling the signer produced.
 */
export function isCanonicalJws(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  return parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p) && Buffer.from(p, 'base64url').toString('base64url') === p);
}

/** Whether a request carries the operator's static metrics token (METRICS_TOKEN), compared in constant time. */
export function isMetricsToken(header: string, metricsToken: string | undefined): boolean {
  const presented = bearerToken(header);
  if (!metricsToken || !presented) return false;
  // Digests first: timingSafeEqual needs equal lengths, and the length must not leak either.
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(metricsToken).digest());
}
