import { randomBytes } from 'node:crypto';
import { newId, sha256Hex } from '../shared/ids.ts';
import { isRole, type Role } from './roles.ts';

/** What a verified access token says about its bearer. */
export interface Principal {
  accountId: string;
  role: Role;
  jti: string;
  exp: number;
  /** The refresh family the token was issued with (claim `fam`), when it has one. */
  familyId?: string;
  /** The account's token version at issue (claim `tv`; 0 when absent): a later bump refuses the token. */
  tokenVersion: number;
}

export type VerifyFailure = 'missing' | 'invalid' | 'expired';

// jose (~50 modules) loads with the first token issued or checked, not with the server: a start (and
// the health check a supervisor polls) never needs it.
let jose: Promise<typeof import('jose')> | undefined;
const loadJose = () => (jose ??= import('jose'));

/**
 * Access tokens: HS256 JWTs signed with JWT_SECRET's UTF-8 bytes, claims sub, role, iat, exp, jti
 * (API.md "Tokens"), plus `tv` (the account's token version) and `fam` (the refresh family). The role
 * is read from the token; a role change bumps the account's token version, so a token with the old
 * role is refused on its next request (the client refreshes and gets the new role).
 */
export class TokenService {
  private readonly key: Uint8Array;
  constructor(
    secret: string,
    readonly accessTtlS: number,
    readonly refreshTtlS: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issueAccess(accountId: string, role: Role, session: { familyId?: string; tokenVersion?: number } = {}): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    const claims: Record<string, unknown> = { role, tv: session.tokenVersion ?? 0 };
    if (session.familyId) claims.fam = session.familyId;
    const { SignJWT } = await loadJose();
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(accountId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.accessTtlS)
      .setJti(newId())
      .sign(this.key);
  }

  async verifyAccess(token: string | undefined): Promise<{ ok: true; principal: Principal } | { ok: false; reason: VerifyFailure }> {
    if (!token) return { ok: false, reason: 'missing' };
    const { jwtVerify, errors: joseErrors } = await loadJose();
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        currentDate: new Date(this.now()),
        requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      });
      const tv = payload.tv ?? 0;
      const fam = payload.fam;
      if (
        typeof payload.sub !== 'string' ||
        !isRole(payload.role) ||
        typeof payload.jti !== 'string' ||
        !Number.isSafeInteger(tv) ||
        (fam !== undefined && typeof fam !== 'string')
      ) {
        return { ok: false, reason: 'invalid' };
      }
      return {
        ok: true,
        principal: { accountId: payload.sub, role: payload.role, jti: payload.jti, exp: payload.exp!, tokenVersion: tv as number, familyId: fam },
      };
    } catch (err) {
      return { ok: false, reason: err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
    }
  }

  /**
   * A refresh token is opaque to the client: "<expiry s>.<random>". Only its sha256 enters the log;
   * the expiry rides inside the token (covered by the hash) so no event has to carry it.
   */
  newRefreshToken(): { token: string; hash: string } {
    const exp = Math.floor(this.now() / 1000) + this.refreshTtlS;
    const token = `${exp}.${randomBytes(32).toString('base64url')}`;
    return { token, hash: sha256Hex(token) };
  }

  refreshExpired(token: string): boolean {
    const exp = Number(token.split('.')[0]);
    return !Number.isFinite(exp) || exp * 1000 <= this.now();
  }
}

export const hashRefreshToken = (token: string): string => sha256Hex(token);
