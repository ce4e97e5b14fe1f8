/**
 * ElizaOS plugin routes (`plugin.routes`: {type, path, handler(req, res, runtime), public?, name?,
 * isMultipart?}), sorted at load into those Chronicle serves under
 * /api/v1/agents/:id/plugins/:plugin/<path> and those it refuses, each with its reason (listed by
 * GET /api/v1/agents/:id/plugins). The HTTP side is src/transport/routes/plugin-routes.ts.
 */

export type RouteHandler = (req: unknown, res: unknown, runtime: unknown) => unknown;

export interface MountedRoute {
  plugin: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** Path segments; ":name" segments are parameters. */
  parts: string[];
  handler: RouteHandler;
  public: boolean;
  name?: string;
}

export interface RefusedRoute {
  plugin: string;
  method: string;
  path: string;
  reason: string;
}

export const MAX_ROUTE_SEGMENTS = 6;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** Handlers that hand the request to multer (or read req.files) need multipart parsing Chronicle does not do. */
export const UPLOAD_HANDLER = /\bmulter\b|\bupload\.(array|single|fields|any)\(|\breq\.files?\b|createUploadMiddleware/;

export function classifyRoutes(plugin: string, routes: unknown): { mounted: MountedRoute[]; refused: RefusedRoute[] } {
  const mounted: MountedRoute[] = [];
  const refused: RefusedRoute[] = [];
  if (routes === undefined) return { mounted, refused };
  if (!Array.isArray(routes)) return { mounted, refused: [{ plugin, method: '?', path: '?', reason: 'plugin.routes is not an array' }] };
  for (const raw of routes) {
    const r = (raw ?? {}) as Record<string, unknown>;
    const method = typeof r.type === 'string' ? r.type.toUpperCase() : '?';
    const path = typeof r.path === 'string' ? r.path : '?';
    const refuse = (reason: string) => void refused.push({ plugin, method, path, reason });
    if (method === 'STATIC') refuse('static file routes are not served (Chronicle serves only its own web client)');
    else if (method === 'WEBSOCKET' || method === 'WS') refuse("websocket routes are not supported (use Chronicle's /ws)");
    else if (!METHODS.has(method)) refuse(`method "${String(r.type)}" is not one of GET, POST, PUT, PATCH, DELETE`);
    else if (typeof r.handler !== 'function') refuse('handler is not a function');
    else if (path === '?' || !path.startsWith('/')) refuse('path must be a string starting with "/"');
    else if (path.includes('*')) refuse('wildcard paths (static asset folders) are not served');
    else if (r.isMultipart === true || UPLOAD_HANDLER.test(Function.prototype.toString.call(r.handler)))
      refuse('file uploads (multipart, multer) are not supported; send JSON, or upload knowledge with POST /api/v1/agents/:id/knowledge');
    else {
      const parts = path.split('/').filter(Boolean);
      if (parts.length === 0) refuse('an empty path would shadow the plugin status route');
      else if (parts.length > MAX_ROUTE_SEGMENTS) refuse(`paths longer than ${MAX_ROUTE_SEGMENTS} segments are not served`);
      else if (parts.some((p) => !/^:?[\w.~-]+$/.test(p))) refuse('path segments must be plain names or ":param" (no regular expressions)');
      else if (mounted.some((m) => m.method === method && m.parts.join('/') === parts.join('/')))
        refuse('an earlier route of this plugin has the same method and path');
      else
        mounted.push({
          plugin,
          method: method as MountedRoute['method'],
          path,
          parts,
          handler: r.handler as RouteHandler,
          public: r.public === true,
          ...(typeof r.name === 'string' ? { name: r.name } : {}),
        });
    }
  }
  return { mounted, refused };
}

/** The mounted route matching a request path (segments after /plugins/:plugin/), with its params. */
export function matchRoute(
  routes: readonly MountedRoute[],
  method: string,
  parts: readonly string[],
): { route: MountedRoute; params: Record<string, string> } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const route of routes) {
    if (route.parts.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (!route.parts.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = parts[i]), true) : p === parts[i]))) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return allowed.length ? { allowed } : undefined;
}
