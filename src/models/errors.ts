import { ModelError } from './provider.ts';
import type { ModelErrorCode } from './provider.ts';

/**
 * Turns whatever an SDK or fetch threw into a ModelError, so that retry and circuit-breaker logic
 * (resilient.ts) and the agent's failure events see one vocabulary whatever the provider.
 */

/** `retry-after` is seconds or an HTTP date; `retry-after-ms` (OpenAI) is milliseconds. */
export function parseRetryAfter(headers: unknown, now = Date.now()): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const raw = headerValue(headers, 'retry-after');
  if (raw === undefined || raw.trim() === '') return undefined;
  const secs = Number(raw);
  if (Number.isFinite(secs)) return secs >= 0 ? secs * 1000 : undefined;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (n: string) => string | null } & Record<string, unknown>;
  if (typeof h.get === 'function') return h.get(name) ?? undefined;
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === name) return typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined;
  return undefined;
}

export function errorForStatus(provider: string, status: number, message: string, retryAfterMs?: number): ModelError {
  const make = (code: ModelErrorCode, retryable: boolean) => new ModelError(code, `${provider}: HTTP ${status}: ${message}`, provider, retryable, retryAfterMs);
  if (status === 429) return make('rate_limited', true);
  if (status === 408) return make('timeout', true);
  if (status === 401 || status === 403) return make('auth', false);
  if (status >= 500) return make('unavailable', true);
  return make('bad_request', false);
}

export interface FailureContext {
  /** The call's own deadline fired. */
  timedOut: boolean;
  /** The caller's signal fired. */
  aborted: boolean;
}

export function toModelError(provider: string, err: unknown, ctx: FailureContext): ModelError {
  // The caller's intent wins over whatever shape the SDK gave its abort error.
  if (ctx.aborted) return new ModelError('aborted', `${provider}: call aborted`, provider, false);
  if (ctx.timedOut) return new ModelError('timeout', `${provider}: call timed out`, provider, true);
  if (err instanceof ModelError) return err;
  const e = (err ?? {}) as { status?: unknown; status_code?: unknown; headers?: unknown; message?: unknown; name?: unknown; error?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.status_code === 'number' ? e.status_code : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (status !== undefined) return errorForStatus(provider, status, message, parseRetryAfter(e.headers));
  if (err instanceof SyntaxError) return new ModelError('malformed', `${provider}: unparseable response: ${message}`, provider, true);
  const name = typeof e.name === 'string' ? e.name : '';
  if (/timeout/i.test(name)) return new ModelError('timeout', `${provider}: ${message}`, provider, true);
  if (/abort/i.test(name)) return new ModelError('aborted', `${provider}: ${message}`, provider, false);
  // No status: connection refused/reset, DNS, a stream cut mid-body — all worth another try.
  return new ModelError('unavailable', `${provider}: ${message}`, provider, true);
}
