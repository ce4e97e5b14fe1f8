import { liveAgent } from '../../app/commands/agents.ts';
import { AppError } from '../../app/errors.ts';
import { hasRole } from '../../auth/roles.ts';
import { runAsPlugin } from '../../plugin-host/process-errors.ts';
import { expressResponse } from '../../plugin-host/route-response.ts';
import { MAX_ROUTE_SEGMENTS, matchRoute, type MountedRoute, type RefusedRoute } from '../../plugin-host/routes.ts';
import type { PluginRuntime } from '../../plugin-host/types.ts';
import type { AppRouter, Call } from '../call.ts';
import { toJson } from '../sanitize.ts';

/**
 * ElizaOS plugin routes, mounted under /api/v1/agents/:id/plugins/:plugin/<path> (issue 14 item 6).
 * Chronicle's auth stands in front of every one, `public: true` included: the caller needs a token of
 * an operator/admin, or of an account that shares a room with the agent. Handlers get a small
 * Express-like request/response (req.params, req.query, req.body as parsed JSON, req.headers,
 * res.status().json()/send()/end()/setHeader()); bodies must be JSON. Routes Chronicle cannot serve
 * (multipart uploads, static folders, websockets) are refused at load, each with its reason, and
 * listed with the rest by GET /api/v1/agents/:id/plugins.
 */

/** What the actor system offers the transport about an agent's plugins (see src/actors/index.ts). */
interface AgentPluginsSource {
  agentPlugins?(agentId: string): Promise<
    | {
        plugins: { name: string; status: string; detail: string }[];
        routes: { mounted: MountedRoute[]; refused: RefusedRoute[] };
        services: { states(): { type: string; plugin: string; state: string }[] };
        runtime: PluginRuntime;
      }
    | undefined
  >;
}

/** How long a handler that returned without answering may take to answer (Express handlers may answer later). */
const LATE_ANSWER_MS = 30_000;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const short = (name: string) => name.replace(/^@elizaos\//, '').replace(/^plugin-/, '');

async function agentPlugins(call: Call) {
  liveAgent(call.server.chronicle, call.params.id);
  const source = call.server.chronicle.actors as AgentPluginsSource;
  const ctx = await source.agentPlugins?.(call.params.id);
  if (!ctx) throw new AppError(503, 'unavailable', "the agent's plugins are not running on this server");
  return ctx;
}

/** Operators and admins, or an account in a room with the agent. */
function mayCall(call: Call): boolean {
  if (hasRole(call.caller.role, 'operator')) return true;
  return call.server.chronicle.readModel.roomsOf(call.caller.accountId).some((r) => r.participants.some((p) => p.id === call.params.id));
}

export function pluginRoutes(router: AppRouter): void {
  router.add('GET', '/api/v1/agents/:id/plugins', { access: 'user' }, async (call) => {
    if (!mayCall(call)) throw new AppError(403, 'forbidden', "only operators and the agent's room participants may see its plugins");
    const ctx = await agentPlugins(call);
    return {
      status: 200,
      body: {
        plugins: ctx.plugins,
        routes: {
          mounted: ctx.routes.mounted.map((r) => ({
            plugin: r.plugin,
            method: r.method,
            path: r.path,
            url: `/api/v1/agents/${call.params.id}/plugins/${short(r.plugin)}${r.path}`,
            ...(r.name ? { name: r.name } : {}),
            public: r.public,
          })),
          refused: ctx.routes.refused,
        },
        services: ctx.services.states(),
      },
    };
  });
  for (let n = 1; n <= MAX_ROUTE_SEGMENTS; n++) {
    const rest = Array.from({ length: n }, (_, i) => `:p${i}`);
    for (const method of METHODS) {
      router.add(
        method,
        `/api/v1/agents/:id/plugins/:plugin/${rest.join('/')}`,
        { access: 'user', body: method === 'POST' || method === 'PUT' || method === 'PATCH' },
        (call) =>
          servePluginRoute(
            call,
            method,
            rest.map((p) => call.params[p.slice(1)]),
          ),
      );
    }
  }
}

async function servePluginRoute(call: Call, method: string, parts: string[]): Promise<undefined> {
  if (!mayCall(call)) throw new AppError(403, 'forbidden', "only operators and the agent's room participants may call its plugins' routes");
  const ctx = await agentPlugins(call);
  const wanted = short(call.params.plugin);
  const routes = ctx.routes.mounted.filter((r) => short(r.plugin) === wanted);
  const refused = ctx.routes.refused.filter((r) => short(r.plugin) === wanted);
  if (routes.length === 0 && refused.length === 0) throw new AppError(404, 'not_found', `the agent has no plugin "${call.params.plugin}" with routes`);
  const path = '/' + parts.join('/');
  const match = matchRoute(routes, method, parts);
  if (!match) {
    const why = refused.find((r) => r.path === path && r.method === method);
    if (why) throw new AppError(501, 'unavailable', `${method} ${path} of plugin ${why.plugin} is not served: ${why.reason}`);
    throw new AppError(404, 'not_found', `plugin ${call.params.plugin} has no route ${method} ${path}`);
  }
  if ('allowed' in match)
    throw new AppError(405, 'method_not_allowed', `${method} is not allowed on ${path}; use ${match.allowed.join(', ')}`, { allow: match.allowed.join(', ') });
  await answerWith(call, match.route, match.params, ctx.runtime);
  return undefined;
}

/** Runs an Express-style handler against Chronicle's reply; exactly one answer goes out. */
async function answerWith(call: Call, route: MountedRoute, params: Record<string, string>, runtime: PluginRuntime): Promise<void> {
  const { info, reply } = call;
  let answered!: () => void;
  const done = new Promise<void>((resolve) => (answered = resolve));
  // Written as the handler answers; the content type defaults as Express's would.
  const res = expressResponse(({ status, headers, kind, body }) => {
    if (kind === 'json') headers['content-type'] ??= 'application/json; charset=utf-8';
    else headers['content-type'] ??= kind === 'bytes' ? 'application/octet-stream' : 'text/html; charset=utf-8';
    reply.send(status, kind === 'json' ? toJson(body) : (body as string | Uint8Array), headers);
    answered();
  });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of info.query) query[k] = k in query ? [...[query[k]].flat(), v] : v;
  const req = {
    method: info.method,
    path: route.path,
    url: info.path + (info.query.size ? `?${info.query}` : ''),
    originalUrl: info.path,
    params,
    query,
    body: call.body ?? {},
    headers: { 'content-type': info.contentType, 'x-chronicle-account': call.caller.accountId },
    get: (name: string) => (name.toLowerCase() === 'content-type' ? info.contentType : undefined),
    /** Chronicle addition: who called (the route's auth already let them in). */
    caller: { accountId: call.caller.accountId, role: call.caller.role },
  };
  try {
    await runAsPlugin({ plugin: route.plugin, agentId: call.params.id }, () => route.handler(req, res, runtime));
  } catch (err) {
    if (res.headersSent) return;
    throw new AppError(
      500,
      'internal_error',
      `plugin ${route.plugin} failed on ${route.method} ${route.path}: ${(err as Error)?.message ?? String(err)}`.slice(0, 500),
    );
  }
  if (res.headersSent) return;
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([done.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), LATE_ANSWER_MS)))]);
  clearTimeout(timer);
  if (late && !res.headersSent)
    throw new AppError(504, 'timeout', `plugin ${route.plugin} did not answer ${route.method} ${route.path} within ${LATE_ANSWER_MS / 1000} s`);
}
