import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { newId, sha256Hex } from '../shared/ids.ts';
import { isRole, type Role } from './roles.ts';

/** What a verified access token says about its bearer. */
export interface Principal {
  accountId: string;
  role: Role;
  jti: string;
  exp: number;
}

export type VerifyFailure = 'missing' | 'invalid' | 'expired';

/**
 * Access tokens: HS256 JWTs signed with JWT_SECRET's UTF-8 bytes, claims sub, role, iat, exp, jti
 * (API.md "Tokens"). The role is read from the token, so a role change takes effect at the next login
 * or refresh, as the contract says.
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

  async issueAccess(accountId: string, role: Role): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(accountId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.accessTtlS)
      .setJti(newId())
      .sign(this.key);
  }

  async verifyAccess(token: string | undefined): Promise<{ ok: true; principal: Principal } | { ok: false; reason: VerifyFailure }> {
    if (!token) return { ok: false, reason: 'missing' };
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        currentDate: new Date(this.now()),
        requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      });
      if (typeof payload.sub !== 'string' || !isRole(payload.role) || typeof payload.jti !== 'string') {
        return { ok: false, reason: 'invalid' };
      }
      return { ok: true, principal: { accountId: payload.sub, role: payload.role, jti: payload.jti, exp: payload.exp! } };
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
