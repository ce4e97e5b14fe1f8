import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { WrongExpectedVersionError } from '../../events/errors.ts';
import type { AccountView, Role } from '../../projections/read-model.ts';
import { hashPassword } from '../../auth/passwords.ts';
import { derivedId, newId } from '../../shared/ids.ts';
import { AppError, conflict, notFound } from '../errors.ts';
import { authorOf, catchUp, systemAuthor, type Caller, type CommandContext } from './context.ts';
import { streams } from '../../domain/streams.ts';
import { parseInput } from './validate.ts';

export const UsernameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain only letters, digits, "_", "." and "-"');
export const PasswordSchema = z.string().min(8, 'must be at least 8 characters').max(1024, 'must be at most 1024 characters');
const RoleSchema = z.enum(['user', 'operator', 'admin']);

export const NewAccountSchema = z.object({
  username: UsernameSchema,
  password: PasswordSchema,
  name: z.string().max(200, 'must be at most 200 characters').optional(),
  role: RoleSchema.optional(),
});
export type NewAccount = z.infer<typeof NewAccountSchema>;

/**
 * An account's id is derived from its lower-cased username, so the log itself refuses a second account
 * with the same name (expectedVersion 'no_stream' on its stream) even under concurrent registrations.
 */
export const accountIdFor = (username: string): string => derivedId('account', username.toLowerCase());

/** Creates an account (event account.registered with the sealed scrypt hash). 409 when the username is taken. */
export async function createAccount(ctx: CommandContext, input: unknown, by?: Caller): Promise<AccountView> {
  const data = parseInput(NewAccountSchema, input);
  const accountId = accountIdFor(data.username);
  const passwordHash = ctx.secrets.seal(await hashPassword(data.password));
  try {
    const result = await ctx.store.append(
      streams.account(accountId),
      [
        {
          id: newId(),
          type: 'account.registered',
          data: { accountId, username: data.username, name: data.name ?? data.username, role: data.role ?? 'user', passwordHash },
          meta: { author: by ? authorOf(by) : systemAuthor },
        },
      ],
      { expectedVersion: 'no_stream' },
    );
    await ctx.projections.waitFor(result.lastSeq);
  } catch (err) {
    if (err instanceof WrongExpectedVersionError) throw conflict(`username "${data.username}" is taken`);
    throw err;
  }
  const account = ctx.readModel.accountById(accountId);
  if (!account) throw new AppError(500, 'internal_error', 'account was written but is not readable');
  return account;
}

/**
 * Makes sure the bootstrap account `admin` exists. With no password given, a random one is generated and
 * returned (once) so the caller can print it.
 */
export async function ensureAdmin(ctx: CommandContext, password?: string): Promise<{ account: AccountView; created: boolean; generatedPassword?: string }> {
  await catchUp(ctx);
  const existing = ctx.readModel.accountById(accountIdFor('admin'));
  if (existing) return { account: existing, created: false };
  const generated = password ? undefined : randomBytes(12).toString('base64url');
  try {
    const account = await createAccount(ctx, { username: 'admin', password: password ?? generated, name: 'Administrator', role: 'admin' });
    return { account, created: true, generatedPassword: generated };
  } catch (err) {
    // Another process or call created it in between: that one wins.
    if (err instanceof AppError && err.status === 409) {
      await catchUp(ctx);
      return { account: ctx.readModel.accountById(accountIdFor('admin'))!, created: false };
    }
    throw err;
  }
}

/**
 * Sets an account's password (event account.password_changed with the sealed scrypt hash). Every
 * access token of the account is refused from then on (its token version moves) and every refresh
 * family is revoked except `keepFamilyId` (the session that changed it, if any).
 */
export async function setPassword(
  ctx: CommandContext,
  accountId: string,
  input: { password: unknown; reason: 'changed' | 'reset'; keepFamilyId?: string },
  by?: Caller,
): Promise<AccountView> {
  const password = parseInput(z.object({ password: PasswordSchema }), { password: input.password }).password;
  if (!ctx.readModel.accountById(accountId)) throw notFound('account');
  const passwordHash = ctx.secrets.seal(await hashPassword(password));
  const result = await ctx.store.append(
    streams.account(accountId),
    [
      {
        id: newId(),
        type: 'account.password_changed',
        data: { accountId, passwordHash, reason: input.reason, ...(input.keepFamilyId ? { keepFamilyId: input.keepFamilyId } : {}) },
        meta: { author: by ? authorOf(by) : systemAuthor },
      },
    ],
    { expectedVersion: 'stream_exists' },
  );
  await ctx.projections.waitFor(result.lastSeq);
  return ctx.readModel.accountById(accountId)!;
}

/** Offline recovery (`chronicle admin reset-password`): a new password for `username`, every session ended. */
export async function resetPassword(ctx: CommandContext, username: string, password: string): Promise<AccountView> {
  await catchUp(ctx);
  const account = ctx.readModel.accountById(accountIdFor(username));
  if (!account) throw notFound(`account "${username}"`);
  return setPassword(ctx, account.id, { password, reason: 'reset' });
}

/** Admin only (the route checks): changes an account's role; its access tokens are refused from then on (they refresh into the new role). */
export async function changeRole(ctx: CommandContext, caller: Caller, accountId: string, input: unknown): Promise<AccountView> {
  const { role } = parseInput(z.object({ role: RoleSchema }), input);
  await catchUp(ctx);
  const account = ctx.readModel.accountById(accountId);
  if (!account) throw notFound('account');
  if (account.role === role) return account;
  const result = await ctx.store.append(streams.account(accountId), [
    { id: newId(), type: 'account.role_changed', data: { accountId, role: role as Role }, meta: { author: authorOf(caller) } },
  ]);
  await ctx.projections.waitFor(result.lastSeq);
  return ctx.readModel.accountById(accountId)!;
}
