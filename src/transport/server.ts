import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HttpRequest, HttpResponse, us_listen_socket } from 'uWebSockets.js';
import { AppError } from '../app/errors.ts';
import { InvalidEventError, WrongExpectedVersionError } from '../events/errors.ts';
import { hasRole } from '../auth/roles.ts';
import { authenticate, bearerToken, isMetricsToken } from './authenticate.ts';
import type { Call, Handler, Result, ServerContext } from './call.ts';
import { LogFanout } from './fanout.ts';
import { CorsPolicy } from './cors.ts';
import { collectBody, isJsonContentType, parseJsonBody, payloadTooLarge, readRequestInfo, Reply, type RequestInfo } from './http.ts';
import { Metrics } from './metrics.ts';
import { RateLimiter } from './rate-limit.ts';
import { Router } from './router.ts';
import { agentRoutes } from './routes/agent-routes.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { openaiRoutes } from './routes/openai-routes.ts';
import { operatorRoutes } from './routes/operator-routes.ts';
import { pluginRoutes } from './routes/plugin-routes.ts';
import { portableRoutes } from './routes/portable-routes.ts';
import { actorRoutes } from './routes/actor-routes.ts';
import { roomRoutes } from './routes/room-routes.ts';
import { forkRoutes } from './routes/fork-routes.ts';
import { StaticFiles } from './static-files.ts';
import type { ServerOptions, TransportChronicle } from './types.ts';
import { loadNativeUws } from './uws.ts';
import { WsHub } from './ws.ts';

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, closes sockets with 1001, waits for in-flight requests (bounded), then releases the port. */
  close(): Promise<void>;
}

export function buildRouter(): Router<Handler> {
  const router = new Router<Handler>();
  authRoutes(router);
  agentRoutes(router);
  roomRoutes(router);
  operatorRoutes(router);
  openaiRoutes(router);
  pluginRoutes(router);
  portableRoutes(router);
  actorRoutes(router);
  forkRoutes(router);
  return router;
}

/**
 * Starts the uWebSockets.js server (native addon only) on settings.host:settings.port (0 = any free
 * port). Data flows one way: route → command (appends events, waits for the projections) → answer
 * from the read model; the WebSocket streams the log's messages and the actors' ephemeral deltas.
 */
export async function startServer(chronicle: TransportChronicle, options: ServerOptions = {}): Promise<RunningServer> {
  const uws = loadNativeUws();
  const { settings, logger } = chronicle;
  const metrics = new Metrics();
  const limiter = new RateLimiter(settings.rateLimitPerMin);
  const fanout = new LogFanout(chronicle.store, await chronicle.store.head(), (err) => logger.error('log subscription failed', { error: String(err) }));
  const unObserve = fanout.onAny((e) => metrics.observeEvent(e));
  await fanout.start();

  let hub: WsHub | undefined;
  const shutdown = new AbortController();
  const server: ServerContext = {
    shutdown: shutdown.signal,
    chronicle,
    fanout,
    metrics,
    options: {
      wsAuthTimeoutMs: options.wsAuthTimeoutMs ?? 10_000,
      wsMaxBufferedBytes: options.wsMaxBufferedBytes ?? 4 * 1024 * 1024,
      wsMaxQueuedFrames: options.wsMaxQueuedFrames ?? 256,
      wsReplayPerSocketPerMin: options.wsReplayPerSocketPerMin ?? 2_000,
      wsReplayPerAccountPerMin: options.wsReplayPerAccountPerMin ?? 10_000,
      wsReplayPageSize: options.wsReplayPageSize ?? 100,
      wsReplaySliceMs: options.wsReplaySliceMs ?? 5,
      wsMaxQueuedBytes: options.wsMaxQueuedBytes ?? Math.max(4 * 1024 * 1024, 2 * settings.maxBodyBytes),
      replyTimeoutMs: options.replyTimeoutMs ?? 120_000,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 60_000,
      bodyIdleTimeoutMs: options.bodyIdleTimeoutMs ?? 8_000,
    },
    openSockets: () => hub?.openCount ?? 0,
  };
  const router = buildRouter();
  const cors = new CorsPolicy(settings.corsOrigins ?? []);
  const webRoot = options.webRoot === false ? undefined : resolve(options.webRoot ?? 'web/dist');
  const staticFiles = webRoot && existsSync(webRoot) ? new StaticFiles(webRoot) : undefined;

  let inFlight = 0;
  let closing = false;
  const app = uws.App();
  hub = new WsHub(server, limiter);
  hub.attach(app);

  app.any('/*', (res: HttpResponse, req: HttpRequest) => {
    const info = readRequestInfo(res, req);
    const reply = new Reply(res);
    reply.always = cors.responseHeaders(info.origin);
    const match = router.match(info.method, info.path);
    const openaiShape = info.path.startsWith('/v1/');
    if (info.method === 'OPTIONS' && match && !('route' in match)) return void answerOptions(info, match.allowed, reply, openaiShape);
    if (!match || !('route' in match)) {
      if (!match && staticFiles && (info.method === 'GET' || info.method === 'HEAD') && !info.path.startsWith('/api/') && !openaiShape) {
        return void staticFiles.serve(info.path, reply);
      }
      const err = match
        ? new AppError(405, 'method_not_allowed', `${info.method} is not allowed on ${info.path}; use ${match.allowed.join(', ')}`, {
            allow: match.allowed.join(', '),
          })
        : new AppError(404, 'not_found', `no route ${info.method} ${info.path}`);
      reply.error(err, openaiShape ? 'openai' : 'chronicle');
      metrics.countRequest('(unmatched)', info.method, reply.status);
      return;
    }
    const { route, params } = match;
    const limit = route.options.upload ? Math.max(settings.maxUploadBytes, settings.maxBodyBytes) : settings.maxBodyBytes;
    // The body must be hooked up before the first await (uWS delivers it right after this handler).
    let body: Promise<Buffer> | undefined;
    if (route.options.body) {
      if (info.contentLength !== undefined && info.contentLength > limit) {
        reply.error(payloadTooLarge(limit), openaiShape ? 'openai' : 'chronicle');
        metrics.countRequest(route.pattern, info.method, 413);
        return;
      }
      body = collectBody(res, limit, reply, { totalMs: server.options.bodyTimeoutMs, idleMs: server.options.bodyIdleTimeoutMs });
      body.catch(() => undefined);
    }
    inFlight++;
    const started = performance.now();
    void handle({
      info,
      params,
      reply,
      body,
      handler: route.handler,
      access: route.options.access,
      unlimited: route.options.unlimited === true,
      scraper: route.options.scraper === true,
      shape: openaiShape || route.options.openai ? 'openai' : 'chronicle',
      pattern: route.pattern,
      needsBody: !!route.options.body,
    }).finally(() => {
      inFlight--;
      metrics.countRequest(route.pattern, info.method, reply.status || 499);
      logger.debug('http', {
        method: info.method,
        route: route.pattern,
        status: reply.status || 499,
        ms: Math.round((performance.now() - started) * 100) / 100,
      });
    });
  });

  /** OPTIONS on a known path: a CORS preflight is answered or refused; a plain OPTIONS lists the methods. */
  function answerOptions(info: RequestInfo, allowed: readonly string[], reply: Reply, openaiShape: boolean): void {
    const methods = [...allowed, 'OPTIONS'];
    if (!info.corsMethod) return void reply.send(204, undefined, { allow: methods.join(', ') });
    const answer = cors.preflight(info.origin, info.corsMethod, info.corsHeaders, allowed);
    if (answer.ok) reply.send(204, undefined, answer.headers);
    else reply.error(new AppError(403, 'forbidden', answer.reason), openaiShape ? 'openai' : 'chronicle');
    metrics.countRequest('(preflight)', 'OPTIONS', reply.status);
  }

  async function handle(r: {
    info: RequestInfo;
    params: Record<string, string>;
    reply: Reply;
    body: Promise<Buffer> | undefined;
    handler: Handler;
    access: string;
    unlimited: boolean;
    scraper: boolean;
    shape: 'chronicle' | 'openai';
    pattern: string;
    needsBody: boolean;
  }): Promise<void> {
    const { info, reply } = r;
    try {
      if (closing) throw new AppError(503, 'unavailable', 'server is shutting down');
      if (!r.unlimited) {
        const ipLimit = limiter.take(`ip:${info.ip}`);
        if (!ipLimit.ok) throw rateLimited(ipLimit.retryAfterS);
      }
      let caller: Call['caller'] = { accountId: '', role: 'user' };
      if (r.access !== 'public' && !(r.scraper && isMetricsToken(info.authorization, settings.metricsToken))) {
        caller = await authenticate(chronicle, bearerToken(info.authorization));
        const acctLimit = limiter.take(`acct:${caller.accountId}`);
        if (!acctLimit.ok) throw rateLimited(acctLimit.retryAfterS);
        if (!hasRole(caller.role, r.access as 'user')) throw new AppError(403, 'forbidden', `this needs the ${r.access} role`);
      }
      let parsed: unknown;
      if (r.needsBody) {
        if (!isJsonContentType(info.contentType)) {
          throw new AppError(
            415,
            'unsupported_media_type',
            `content-type must be application/json${info.contentType ? `, got ${info.contentType.slice(0, 100)}` : ''}`,
          );
        }
        parsed = parseJsonBody(await r.body!);
      }
      const result = await r.handler({ info, params: r.params, caller, body: parsed, reply, server });
      if (result) sendResult(reply, result);
    } catch (err) {
      const appErr = toAppError(err);
      if (appErr.status >= 500)
        logger.error('request failed', { method: info.method, route: r.pattern, error: err instanceof Error ? err.stack : String(err) });
      // A 413 mid-upload: close the connection rather than read the rest of a body we refused.
      // A 408: the rest of a slow body is not waited for. A 413 keeps the connection: uWS reads and
      // drops the rest of the body, so the client, still sending, gets to read the answer (closing
      // with its data unread reset the connection and the client saw no 413 at all).
      reply.error(appErr, r.shape, appErr.status === 408);
    }
  }

  // uWebSockets.js binds with SO_REUSEPORT by default: a second server on the same port "starts" and
  // the kernel splits connections between the two. An exclusive bind makes the second one fail here.
  const listenExclusive = app.listen as unknown as (host: string, port: number, options: number, cb: (s: us_listen_socket | false) => void) => void;
  const listenSocket = await new Promise<us_listen_socket>((resolveListen, reject) =>
    listenExclusive.call(app, settings.host, settings.port, LIBUS_LISTEN_EXCLUSIVE_PORT, (socket) =>
      socket
        ? resolveListen(socket)
        : reject(
            new Error(
              `cannot listen on ${settings.host}:${settings.port}: the port is already in use (another Chronicle?) or not permitted; stop the other server or set PORT`,
            ),
          ),
    ),
  );
  const port = uws.us_socket_local_port(listenSocket);
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      (closed ??= (async () => {
        closing = true;
        shutdown.abort();
        uws.us_listen_socket_close(listenSocket);
        hub.closeAll();
        const deadline = Date.now() + 5000;
        while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        unObserve();
        fanout.stop();
        // Drops idle keep-alive connections; nothing is in flight any more.
        (app as unknown as { close(): void }).close();
      })()),
  };
}

/** uWebSockets.js's ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT (a const enum in its typings, so spelled out here). */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

function rateLimited(retryAfterS: number): AppError {
  return new AppError(429, 'rate_limited', `too many requests; retry in ${retryAfterS} s`, { 'retry-after': String(retryAfterS) });
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof WrongExpectedVersionError) return new AppError(409, 'conflict', 'a concurrent change got there first; read again and retry');
  if (err instanceof InvalidEventError) return new AppError(400, 'validation_error', err.message);
  return new AppError(500, 'internal_error', 'internal error');
}

function sendResult(reply: Reply, result: Result): void {
  if (result.text !== undefined) reply.send(result.status, result.text, result.headers ?? {});
  else reply.json(result.status, result.body, result.headers ?? {});
}
