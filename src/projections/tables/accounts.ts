import type { Projection } from '../projection.ts';

/**
 * Accounts (with the sealed password hash) and refresh-token families. `token_version` counts the events
 * that end existing access tokens early (role change, password change or reset, a revoked family,
 * sign-out everywhere); access tokens carry the version they were issued under (claim `tv`).
 */
export const accountsProjection: Projection = {
  name: 'accounts',
  version: 2,
  tables: ['accounts', 'refresh_tokens', 'refresh_families'],
  vectorKinds: [],
  handles: [
    'account.registered',
    'account.role_changed',
    'account.password_changed',
    'auth.refresh_issued',
    'auth.refresh_used',
    'auth.family_revoked',
    'auth.sessions_revoked',
  ],
  ddl: `
    CREATE TABLE IF NOT EXISTS accounts (
      id TEXT PRIMARY KEY, username TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
      password_hash TEXT NOT NULL, created_at INTEGER NOT NULL, seq INTEGER NOT NULL, token_version INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS accounts_username ON accounts (username COLLATE NOCASE, seq);
    CREATE TABLE IF NOT EXISTS refresh_tokens (
      token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, family_id TEXT NOT NULL, used INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS refresh_families (
      family_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, revoked INTEGER NOT NULL, reason TEXT);
    CREATE INDEX IF NOT EXISTS refresh_families_account ON refresh_families (account_id);
  `,
  prepare({ db }) {
    const register = db.prepare(
      `INSERT INTO accounts (id, username, name, role, password_hash, created_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET username = excluded.username, name = excluded.name, role = excluded.role, password_hash = excluded.password_hash`,
    );
    const role = db.prepare('UPDATE accounts SET role = ?, token_version = token_version + 1 WHERE id = ?');
    const password = db.prepare('UPDATE accounts SET password_hash = ?, token_version = token_version + 1 WHERE id = ?');
    const bump = db.prepare('UPDATE accounts SET token_version = token_version + 1 WHERE id = ?');
    const revokeAllBut = db.prepare(`UPDATE refresh_families SET revoked = 1, reason = ? WHERE account_id = ? AND revoked = 0 AND family_id IS NOT ?`);
    const issue = db.prepare('INSERT OR REPLACE INTO refresh_tokens (token_hash, account_id, family_id, used) VALUES (?, ?, ?, 0)');
    const family = db.prepare('INSERT OR IGNORE INTO refresh_families (family_id, account_id, revoked) VALUES (?, ?, 0)');
    const use = db.prepare('UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?');
    const revoke = db.prepare(
      `INSERT INTO refresh_families (family_id, account_id, revoked, reason) VALUES (?, ?, 1, ?)
       ON CONFLICT (family_id) DO UPDATE SET revoked = 1, reason = excluded.reason`,
    );
    return (e) => {
      switch (e.type) {
        case 'account.registered': {
          const d = e.data;
          register.run(d.accountId, d.username, d.name, d.role, d.passwordHash, e.meta.timestamp, e.seq);
          break;
        }
        case 'account.role_changed':
          role.run(e.data.role, e.data.accountId);
          break;
        case 'account.password_changed':
          password.run(e.data.passwordHash, e.data.accountId);
          revokeAllBut.run(`password ${e.data.reason}`, e.data.accountId, e.data.keepFamilyId ?? null);
          break;
        case 'auth.sessions_revoked':
          bump.run(e.data.accountId);
          revokeAllBut.run(e.data.reason, e.data.accountId, null);
          break;
        case 'auth.refresh_issued':
          issue.run(e.data.tokenHash, e.data.accountId, e.data.familyId);
          family.run(e.data.familyId, e.data.accountId);
          break;
        case 'auth.refresh_used':
          use.run(e.data.tokenHash);
          break;
        case 'auth.family_revoked':
          revoke.run(e.data.familyId, e.data.accountId, e.data.reason);
          bump.run(e.data.accountId);
          break;
        default:
          break;
      }
    };
  },
};
