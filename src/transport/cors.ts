/**
 * Cross-origin access for browser clients served from another origin (a frontend on its own dev
 * server). The operator lists exact origins (CORS_ORIGINS); with none, only same-origin pages can call
 * the API, as before. Access is by bearer token, never cookies, so a listed origin gains nothing a
 * script could not already do with a token it holds; `*` lets any page call with its own token, and is
 * never combined with credentials (browsers refuse that pair, and it would make cookies meaningful).
 */

/** Headers a browser client may send (what the API and the OpenAI-compatible endpoint read); the openai SDK adds x-stainless-*. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'openai-organization', 'openai-project'];
const EXPOSED_HEADERS = ['retry-after', 'allow'];
const PREFLIGHT_MAX_AGE_S = 600;

export class CorsPolicy {
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.includes('*');
    this.origins = new Set(origins.filter((o) => o !== '*'));
  }

  get enabled(): boolean {
    return this.any || this.origins.size > 0;
  }

  allows(origin: string): boolean {
    return origin !== '' && (this.any || this.origins.has(origin));
  }

  /** Headers for an ordinary response to a request from `origin` (none when it is not allowed). */
  responseHeaders(origin: string): Record<string, string> {
    if (!this.allows(origin)) return {};
    if (this.origins.has(origin))
      return {
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': EXPOSED_HEADERS.join(', '),
        vary: 'Origin',
      };
    return { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED_HEADERS.join(', ') };
  }

  /**
   * The answer to a preflight (OPTIONS with Access-Control-Request-Method) for a path whose methods
   * are `methods`: the headers to send, or the reason it is refused.
   */
  preflight(
    origin: string,
    requestedMethod: string,
    requestedHeaders: string,
    methods: readonly string[],
  ): { ok: true; headers: Record<string, string> } | { ok: false; reason: string } {
    if (!this.allows(origin))
      return {
        ok: false,
        reason: `origin ${origin || '(none)'} may not call this API from a browser${this.enabled ? '' : ' (CORS_ORIGINS is empty: same origin only)'}`,
      };
    const method = requestedMethod.toUpperCase();
    if (!methods.includes(method)) return { ok: false, reason: `${method} is not allowed here; use ${methods.join(', ')}` };
    const asked = requestedHeaders
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const refused = asked.filter((h) => !ALLOWED_HEADERS.includes(h) && !h.startsWith('x-stainless-'));
    if (refused.length) return { ok: false, reason: `request header${refused.length > 1 ? 's' : ''} ${refused.join(', ')} not allowed` };
    return {
      ok: true,
      headers: {
        ...this.responseHeaders(origin),
        'access-control-allow-methods': methods.join(', '),
        'access-control-allow-headers': [...new Set([...ALLOWED_HEADERS, ...asked])].join(', '),
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
      },
    };
  }
}
