import type { EventStore } from '../../events/store.ts';
import type { Author } from '../../events/envelope.ts';
import type { ReadModel, Role } from '../../projections/read-model.ts';
import type { SecretBox } from '../../shared/secrets.ts';
import type { Settings } from '../../settings/settings.ts';
import { TokenService } from '../../auth/tokens.ts';

/**
 * What a command needs: the log to append to, the read model to check against, and the projections'
 * waitFor so the caller reads its own write. The Chronicle composition root satisfies it as it is.
 */
export interface CommandContext {
  store: EventStore;
  readModel: ReadModel;
  projections: { waitFor(seq: number): Promise<void> };
  secrets: SecretBox;
  settings: Pick<Settings, 'openRegistration' | 'maxMessageChars' | 'accessTokenTtlS' | 'refreshTokenTtlS'>;
  jwtSecret: string;
}

/** The authenticated account a command runs for (from the access token). */
export interface Caller {
  accountId: string;
  role: Role;
  /** When the access token this caller presented expires (ms since the epoch); a socket closes then. */
  expiresAt?: number;
  /** The refresh family of the caller's session (from the access token), which sign-out revokes. */
  familyId?: string;
  /** The account's token version the access token was issued under (claim `tv`); an open socket compares it with the account's. */
  tokenVersion?: number;
}

export const authorOf = (caller: Caller): Author => ({ kind: 'user', id: caller.accountId });
export const systemAuthor: Author = { kind: 'system', id: 'chronicle' };

/** Makes the read model reflect everything in the log right now (used before uniqueness/membership checks). */
export async function catchUp(ctx: CommandContext): Promise<void> {
  await ctx.projections.waitFor(await ctx.store.head());
}

const tokenServices = new WeakMap<object, TokenService>();
/** One TokenService per context, built from its JWT secret and the TTL settings. */
export function tokensOf(ctx: CommandContext): TokenService {
  let t = tokenServices.get(ctx);
  if (!t) {
    t = new TokenService(ctx.jwtSecret, ctx.settings.accessTokenTtlS, ctx.settings.refreshTokenTtlS);
    tokenServices.set(ctx, t);
  }
  return t;
}
