import type { Account, TokenPair } from './types.ts';

/**
 * The tokens of the signed-in account. Kept in sessionStorage by default (gone with the tab) or in
 * localStorage when the person ticks "keep me signed in"; one key so both stores never disagree.
 */
export interface Session {
  account: Account;
  accessToken: string;
  refreshToken: string;
  persistent: boolean;
}

const KEY = 'chronicle.session';

export function loadSession(): Session | undefined {
  for (const store of [sessionStorage, localStorage]) {
    const raw = store.getItem(KEY);
    if (!raw) continue;
    try {
      const s = JSON.parse(raw) as Session;
      if (s && typeof s.accessToken === 'string' && typeof s.refreshToken === 'string' && s.account) return s;
    } catch {
      store.removeItem(KEY);
    }
  }
  return undefined;
}

export function saveSession(s: Session): void {
  clearSession();
  (s.persistent ? localStorage : sessionStorage).setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

export function sessionFrom(pair: TokenPair, account: Account, persistent: boolean): Session {
  return { account, accessToken: pair.accessToken, refreshToken: pair.refreshToken, persistent };
}
