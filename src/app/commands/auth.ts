import { z } from 'zod';
import { WrongExpectedVersionError } from '../../events/errors.ts';
import type { AccountView } from '../../projections/read-model.ts';
import { dummyHash, verifyPassword } from '../../auth/passwords.ts';
import { hashRefreshToken } from '../../auth/tokens.ts';
import { newId } from '../../shared/ids.ts';
import { forbidden, unauthorized } from '../errors.ts';
import { createAccount } from './accounts.ts';
import { catchUp, streams, systemAuthor, tokensOf, type CommandContext } from './context.ts';
import { parseInput } from './validate.ts';

export interface Session {
  account: AccountView;
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/** Issues an access token and a refresh token of `familyId` (a new family at login). */
async function issueSession(ctx: CommandContext, account: AccountView, familyId = newId(), extra: 'used' | undefined = undefined, usedHash?: string, expectedVersion?: number): Promise<Session> {
  const tokens = tokensOf(ctx);
  const refresh = tokens.newRefreshToken();
  const events = [];
  if (extra === 'used' && usedHash) {
    events.push({ id: newId(), type: 'auth.refresh_used' as const, data: { accountId: account.id, familyId, tokenHash: usedHash }, meta: { author: systemAuthor } });
  }
  events.push({ id: newId(), type: 'auth.refresh_issued' as const, data: { accountId: account.id, familyId, tokenHash: refresh.hash }, meta: { author: systemAuthor } });
  const result = await ctx.store.append(streams.account(account.id), events, expectedVersion === undefined ? {} : { expectedVersion });
  await ctx.projections.waitFor(result.lastSeq);
  return {
    account,
    accessToken: await tokens.issueAccess(account.id, account.role),
    refreshToken: refresh.token,
    expiresIn: tokens.accessTtlS,
  };
}

const LoginSchema = z.object({ username: z.string().min(1, 'is required').max(64), password: z.string().min(1, 'is required').max(1024) });

export async function login(ctx: CommandContext, input: unknown): Promise<Session> {
  const { username, password } = parseInput(LoginSchema, input);
  const creds = ctx.readModel.credentialsByUsername(username);
  if (!creds) {
    await verifyPassword(password, await dummyHash());
    throw unauthorized('wrong username or password', 'invalid_credentials');
  }
  let hash: string;
  try {
    hash = ctx.secrets.open(creds.passwordHash);
  } catch {
    throw unauthorized('wrong username or password', 'invalid_credentials');
  }
  if (!(await verifyPassword(password, hash))) throw unauthorized('wrong username or password', 'invalid_credentials');
  return issueSession(ctx, creds.account);
}

/** Open registration (OPEN_REGISTRATION): always role `user`. */
export async function register(ctx: CommandContext, input: unknown): Promise<Session> {
  if (!ctx.settings.openRegistration) throw forbidden('registration is closed; ask an admin for an account', 'registration_closed');
  const body = parseInput(z.object({ username: z.unknown(), password: z.unknown(), name: z.unknown().optional() }), input);
  const account = await createAccount(ctx, { username: body.username, password: body.password, name: body.name });
  return issueSession(ctx, account);
}

/**
 * Refresh-token rotation with reuse detection. The account stream's version is the lock: two
 * concurrent refreshes with one token cannot both win — the loser re-reads, sees the token used, and
 * that is a reuse. A reused (or revoked-family) token is refused and its family revoked.
 */
export async function refresh(ctx: CommandContext, input: unknown): Promise<Session> {
  const { refreshToken } = parseInput(z.object({ refreshToken: z.string().min(1, 'is required').max(512) }), input);
  const tokens = tokensOf(ctx);
  const hash = hashRefreshToken(refreshToken);
  for (let attempt = 0; attempt < 5; attempt++) {
    await catchUp(ctx);
    const first = ctx.readModel.refreshToken(hash);
    if (!first) throw unauthorized('unknown refresh token');
    const stream = streams.account(first.accountId);
    // Version first, then the view: anything appended after this read makes our append conflict.
    const version = await ctx.store.streamVersion(stream);
    await catchUp(ctx);
    const view = ctx.readModel.refreshToken(hash)!;
    if (view.used || view.familyRevoked) {
      if (!view.familyRevoked) {
        const result = await ctx.store.append(stream, [
          { id: newId(), type: 'auth.family_revoked', data: { accountId: view.accountId, familyId: view.familyId, reason: 'refresh token reused' }, meta: { author: systemAuthor } },
        ]);
        await ctx.projections.waitFor(result.lastSeq);
      }
      throw unauthorized('refresh token was already used; its family is revoked — log in again', 'refresh_token_reused');
    }
    if (tokens.refreshExpired(refreshToken)) throw unauthorized('refresh token expired', 'token_expired');
    const account = ctx.readModel.accountById(view.accountId);
    if (!account) throw unauthorized('unknown account');
    try {
      return await issueSession(ctx, account, view.familyId, 'used', hash, version);
    } catch (err) {
      if (err instanceof WrongExpectedVersionError) continue;
      throw err;
    }
  }
  throw unauthorized('refresh token could not be rotated; log in again');
}
