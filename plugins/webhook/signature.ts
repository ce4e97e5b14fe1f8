import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, both directions: `x-chronicle-signature: t=<unix seconds>,v1=<hex>` where v1 is
 * HMAC-SHA256(secret, "<t>.<raw body>"). The timestamp is signed too, so an old request cannot be
 * replayed outside the tolerance window.
 */
export const SIGNATURE_HEADER = 'x-chronicle-signature';

export function sign(secret: string, body: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export function verify(secret: string, header: string | undefined, body: string, nowMs = Date.now(), toleranceS = 300): VerifyResult {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return { ok: false, reason: 'malformed signature header (want t=<seconds>,v1=<hex>)' };
  if (Math.abs(nowMs / 1000 - t) > toleranceS) return { ok: false, reason: 'signature timestamp outside the tolerance window' };
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
