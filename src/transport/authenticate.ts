import type { Caller } from '../app/commands/context.ts';
import { tokensOf } from '../app/commands/context.ts';
import { AppError, unauthorized } from '../app/errors.ts';
import type { TransportChronicle } from './types.ts';

/** Bearer token → the caller, or a 401 saying why (missing, invalid, expired, unknown account). */
export async function authenticate(chronicle: TransportChronicle, token: string | undefined): Promise<Caller> {
  const verdict = await tokensOf(chronicle).verifyAccess(token);
  if (!verdict.ok) {
    if (verdict.reason === 'missing') throw unauthorized('authorization: Bearer <accessToken> is required');
    if (verdict.reason === 'expired') throw new AppError(401, 'token_expired', 'access token expired; refresh it');
    throw unauthorized('access token is invalid');
  }
  if (!chronicle.readModel.accountById(verdict.principal.accountId)) throw unauthorized('the account of this token does not exist');
  return { accountId: verdict.principal.accountId, role: verdict.principal.role, expiresAt: verdict.principal.exp * 1000 };
}

export function bearerToken(header: string): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
