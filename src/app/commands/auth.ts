import { z } from 'zod';
import { WrongExpectedVersionError } from '../../events/errors.ts';
import type { AccountCredentials, AccountView } from '../../projections/read-model.ts';
import { dummyHash, verifyPassword } from '../../auth/passwords.ts';
import { hashRefreshToken } from '../../auth/tokens.ts';
import { LoginThrottle } from '../../auth/login-throttle.ts';
import { newId } from '../../shared/ids.ts';
import { AppError, forbidden, notFound, unauthorized } from '../errors.ts';
import { createAccount, PasswordSchema, setPassword } from './accounts.ts';
import { authorOf, catchUp, systemAuthor, tokensOf, type Caller, type CommandContext } from './context.ts';
import { streams } from '../../domain/streams.ts';
import { parseInput } from './validate.ts';

export interface Session {
  account: AccountView;
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/** Issues an access token and a refresh token of `familyId` (a new family at login). */
async function issueSession(
  ctx: CommandContext,
  account: AccountView,
  familyId = newId(),
  extra: 'used' | undefined = undefined,
  usedHash?: string,
  expectedVersion?: number,
): Promise<Session> {
  const tokens = tokensOf(ctx);
  const refresh = tokens.newRefreshToken();
  const events = [];
  if (extra === 'used' && usedHash) {
    events.push({
      id: newId(),
      type: 'auth.refresh_used' as const,
      data: { accountId: account.id, familyId, tokenHash: usedHash },
      meta: { author: systemAuthor },
    });
  }
  events.push({
    id: newId(),
    type: 'auth.refresh_issued' as const,
    data: { accountId: account.id, familyId, tokenHash: refresh.hash },
    meta: { author: systemAuthor },
  });
  // Trusted: ids of an account the log holds, hashes of tokens minted here (docs/DESIGN.md, "Where appends are validated").
  const result = await ctx.store.append(streams.account(account.id), events, { trusted: true, ...(expectedVersion === undefined ? {} : { expectedVersion }) });
  await ctx.projections.waitFor(result.lastSeq);
  return {
    account,
    accessToken: await tokens.issueAccess(account.id, account.role, { familyId, tokenVersion: account.tokenVersion }),
    refreshToken: refresh.token,
    expiresIn: tokens.accessTtlS,
  };
}

const LoginSchema = z.object({ username: z.string().min(1, 'is required').max(64), password: z.string().min(1, 'is required').max(1024) });

const throttles = new WeakMap<object, LoginThrottle>();
/** One login throttle per context (per running server). */
function throttleOf(ctx: CommandContext): LoginThrottle {
  let t = throttles.get(ctx);
  if (!t) throttles.set(ctx, (t = new LoginThrottle()));
  return t;
}

/**
 * The account if `password` is its password; 401 otherwise, and 429 (with retry-after) while the
 * account is backing off after repeated failures (see login-throttle.ts). An unknown username costs
 * as much as a wrong password and backs off the same way.
 */
async function checkPassword(ctx: CommandContext, username: string, password: string): Promise<AccountCredentials> {
  const admission = throttleOf(ctx).admit(username);
  if (!admission.ok) {
    throw new AppError(429, 'rate_limited', `too many failed logins for this account; retry in ${admission.retryAfterS} s`, {
      'retry-after': String(admission.retryAfterS),
    });
  }
  let creds: AccountCredentials | undefined;
  try {
    creds = ctx.readModel.credentialsByUsername(username);
    let hash = await dummyHash();
    try {
      if (creds) hash = ctx.secrets.open(creds.passwordHash);
    } catch {
      creds = undefined; // sealed under another data key: nobody can log in with it
    }
    if (!(await verifyPassword(password, hash)) || !creds) creds = undefined;
  } finally {
    admission.done(creds !== undefined);
  }
  if (!creds) throw unauthorized('wrong username or password', 'invalid_credentials');
  return creds;
}

export async function login(ctx: CommandContext, input: unknown): Promise<Session> {
  const { username, password } = parseInput(LoginSchema, input);
  const creds = await checkPassword(ctx, username, password);
  return issueSession(ctx, creds.account);
}

const LogoutSchema = z.object({ refreshToken: z.string().min(1, 'is required').max(512).optional(), all: z.boolean().optional() });

/**
 * Sign-out (API.md: `{refreshToken}` → 204): revokes the refresh family of that token — or, with no
 * token, of the caller's session (its access token's `fam`) — or with `all: true` every family of the
 * account. Either moves the account's token version, so the access tokens already out are refused at
 * once (other sessions of the account refresh into a new one; the signed-out one cannot).
 */
export async function logout(ctx: CommandContext, input: unknown, caller?: Caller): Promise<void> {
  const { refreshToken, all } = parseInput(LogoutSchema, input ?? {});
  let accountId: string;
  let familyId: string | undefined;
  if (refreshToken !== undefined) {
    await catchUp(ctx);
    const view = ctx.readModel.refreshToken(hashRefreshToken(refreshToken));
    if (!view) throw unauthorized('unknown refresh token');
    if (view.familyRevoked && !all) return; // already signed out: nothing to add
    ({ accountId, familyId } = view);
  } else if (caller) {
    ({ accountId, familyId } = caller);
  } else {
    throw unauthorized('give {refreshToken}, or sign out with authorization: Bearer <accessToken>');
  }
  const meta = { author: caller ? authorOf(caller) : { kind: 'user' as const, id: accountId } };
  const event =
    all || !familyId
      ? { id: newId(), type: 'auth.sessions_revoked' as const, data: { accountId, reason: 'signed out everywhere' }, meta }
      : { id: newId(), type: 'auth.family_revoked' as const, data: { accountId, familyId, reason: 'signed out' }, meta };
  const result = await ctx.store.append(streams.account(accountId), [event], { trusted: true }); // ids from a session the log issued
  await ctx.projections.waitFor(result.lastSeq);
}

const PasswordChangeSchema = z.object({ currentPassword: z.string().min(1, 'is required').max(1024), newPassword: PasswordSchema });

/**
 * The caller changes its own password (API.md: `{currentPassword, newPassword}` → 204), proving the
 * current one (throttled like a login). Every access token of the account is refused from then on and
 * every other session ends; the caller's own session goes on through its refresh token.
 */
export async function changePassword(ctx: CommandContext, caller: Caller, input: unknown): Promise<void> {
  const { currentPassword, newPassword } = parseInput(PasswordChangeSchema, input);
  const account = ctx.readModel.accountById(caller.accountId);
  if (!account) throw notFound('account');
  try {
    await checkPassword(ctx, account.username, currentPassword);
  } catch (err) {
    if (err instanceof AppError && err.code === 'invalid_credentials') throw forbidden('the current password is wrong', 'invalid_credentials');
    throw err;
  }
  await setPassword(ctx, account.id, { password: newPassword, reason: 'changed', keepFamilyId: caller.familyId }, caller);
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
        const result = await ctx.store.append(
          stream,
          [
            {
              id: newId(),
              type: 'auth.family_revoked',
              data: { accountId: view.accountId, familyId: view.familyId, reason: 'refresh token reused' },
              meta: { author: systemAuthor },
            },
          ],
          { trusted: true },
        ); // ids from the refresh token's view
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
