import type { Caller } from '../app/commands/context.ts';
import type { AnyRecordedEvent } from '../events/envelope.ts';
import type { ReadModel } from '../projections/read-model.ts';

/** The events that move an account's token version (the accounts projection bumps it once for each). */
const revocationTypes = new Set(['auth.sessions_revoked', 'auth.family_revoked', 'account.password_changed', 'account.role_changed']);
export const isRevocationEvent = (e: AnyRecordedEvent): boolean => revocationTypes.has(e.type);

/**
 * What a committed event means for an open socket authenticated as `caller`: nothing (another account,
 * another kind of event), `ended` with the close reason (its session is over, or its role changed), or
 * `goes-on` (the account's token version moved but this socket's session survives: another session was
 * signed out, or this session changed the password and keeps going — API.md's contract for both).
 * A role change, up or down, ends the socket: its subscriptions were checked under the old role, and a
 * reconnect with a refreshed token re-checks everything, which is simpler and safer than re-checking
 * each subscription in place.
 */
export function revocationEffect(e: AnyRecordedEvent, caller: Caller): undefined | { ended: string } | 'goes-on' {
  if (!isRevocationEvent(e) || (e.data as { accountId?: string }).accountId !== caller.accountId) return undefined;
  switch (e.type) {
    case 'auth.sessions_revoked':
      return { ended: `session ended (${e.data.reason}); log in again` };
    case 'auth.family_revoked':
      // A token without a family cannot tell which session it belongs to: it ends with any of them.
      return caller.familyId === undefined || e.data.familyId === caller.familyId ? { ended: `session ended (${e.data.reason}); log in again` } : 'goes-on';
    case 'account.password_changed':
      return caller.familyId !== undefined && e.data.keepFamilyId === caller.familyId
        ? 'goes-on'
        : { ended: `session ended (password ${e.data.reason}); log in again` };
    case 'account.role_changed':
      return e.data.role === caller.role ? 'goes-on' : { ended: 'role changed; reconnect with a refreshed token' };
    default:
      return undefined;
  }
}

/**
 * The check a socket makes before each frame, against the read model, independent of having heard the
 * event: the account must still exist with the caller's role, and its token version must not be past
 * the one this socket accepts (`caller.tokenVersion`, moved on by each `goes-on` event). "Past", not
 * "different": the read model may lag the event the socket already heard, never the other way round.
 */
export function staleSessionReason(readModel: Pick<ReadModel, 'accountById'>, caller: Caller): string | undefined {
  const account = readModel.accountById(caller.accountId);
  if (!account) return 'the account no longer exists';
  if (account.role !== caller.role) return 'role changed; reconnect with a refreshed token';
  if ((account.tokenVersion ?? 0) > (caller.tokenVersion ?? 0)) return 'session ended (signed out, password or role change); reconnect with a refreshed token';
  return undefined;
}
