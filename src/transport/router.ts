import type { Role } from '../auth/roles.ts';

export interface RouteOptions {
  /** Who may call: 'public' (no token), or the least role needed. */
  access: 'public' | Role;
  /** The route reads a JSON body (415 unless application/json, 413 over the limit). */
  body?: boolean;
  /** The body may carry a file (a knowledge document): MAX_UPLOAD_BYTES instead of MAX_BODY_BYTES. */
  upload?: boolean;
  /** Errors in OpenAI's shape instead of Chronicle's envelope. */
  openai?: boolean;
  /** Never rate-limited: the health check, so an IP past its limit still sees whether the server is up. */
  unlimited?: boolean;
  /** Also readable with the static METRICS_TOKEN instead of a user's JWT (a Prometheus scraper). */
  scraper?: boolean;
}

export interface Route<H> {
  method: string;
  pattern: string;
  parts: string[];
  options: RouteOptions;
  handler: H;
}

/** A small method + path router with ":param" segments; the pattern doubles as the metrics label. */
export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, options: RouteOptions, handler: H): this {
    this.routes.push({ method, pattern, parts: pattern.split('/').filter(Boolean), options, handler });
    return this;
  }

  match(method: string, path: string): { route: Route<H>; params: Record<string, string> } | { allowed: string[] } | undefined {
    const parts = path.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchParts(route.parts, parts);
      if (!params) continue;
      if (route.method === method) return { route, params };
      allowed.push(route.method);
    }
    return allowed.length ? { allowed } : undefined;
  }
}

function matchParts(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(parts[i]);
      } catch {
        return undefined;
      }
      params[p.slice(1)] = value;
    } else if (p !== parts[i]) return undefined;
  }
  return params;
}
