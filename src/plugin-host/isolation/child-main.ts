import { AsyncLocalStorage } from 'node:async_hooks';
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { checkPluginShape } from '../host.ts';
import { UPLOAD_HANDLER } from '../routes.ts';
import { PermissionDeniedError, covers, needs } from '../permissions.ts';
import type { Action, Content, Evaluator, Plugin, PluginRuntime, Provider, ServiceInstance } from '../types.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import { logArgs } from '../eliza-runtime/logger.ts';
import { expressResponse } from '../route-response.ts';
import type { CallContext, DynamicComponent, HostToWorker, Manifest, RouteAnswer, RouteRequest, WorkerRequest, WorkerStart, WorkerToHost } from './protocol.ts';

/**
 * The child side of an isolated plugin (bundled into one file and run by `node` under the sandbox,
 * see sandbox.ts): loads the plugin, describes it to the host, and runs its handlers when asked. The
 * runtime handed to handlers is a facade whose every capability is a message to the host, which
 * checks permissions before doing anything. Messages travel as frames on fd 3 (frames.ts).
 */

const start = JSON.parse(process.argv[2] ?? '{}') as WorkerStart;
// The child starts with an empty environment; bubblewrap still sets PWD (always "/"): drop it too.
delete process.env.PWD;
const channel = new Socket({ fd: 3, readable: true, writable: true });
function send(m: WorkerToHost): void {
  let frame: Buffer;
  try {
    frame = encodeFrame(m);
  } catch (err) {
    // A result holding something that cannot be cloned (a socket, a class with native state) fails that call only.
    if (m.t !== 'result') throw err;
    frame = encodeFrame({ t: 'result', id: m.id, ok: false, error: `the result could not cross to the server: ${(err as Error).message}` });
  }
  channel.write(frame);
}
// The server went away (or closed the channel): nothing left to work for.
channel.on('close', () => process.exit(0));
channel.on('error', () => process.exit(0));

// Belt and braces for hosts without a pid namespace: signals only to the plugin's own process.
const ownKill = process.kill.bind(process);
process.kill = ((pid: number, signal?: string | number) => {
  if (pid !== process.pid) throw Object.assign(new Error('process.kill is limited to the plugin itself'), { code: 'ERR_ACCESS_DENIED' });
  return ownKill(pid, signal);
}) as typeof process.kill;
(process as unknown as { _kill: unknown })._kill = () => -1;
// Native bindings are a way around the JavaScript-level patches; a plugin gets none.
(process as unknown as { binding: unknown }).binding = () => {
  throw new Error('process.binding is not available to isolated plugins');
};
const currentCall = new AsyncLocalStorage<number>();

let nextRequest = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

/** A request to the host for the call in progress (its async context) or, outside any call, for an agent. */
function request(callId: number, req: WorkerRequest, agentId?: string): Promise<unknown> {
  const id = nextRequest++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ t: 'request', id, callId: currentCall.getStore() ?? callId, agentId, req });
  });
}

/** Data only across the boundary: functions, symbols and class instances become plain JSON. */
function plain(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (value instanceof Error) return { error: value.message };
  try {
    return structuredClone(value);
  } catch {
    return JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Error ? v.message : v)));
  }
}

/** Logger lines a second the child sends; the host enforces its own cap too (a flood would stop the plugin). */
const LOG_LINES_PER_SECOND = 100;
let logWindow = 0;
let logCount = 0;

function logLine(agentId: string, level: 'debug' | 'info' | 'warn' | 'error', extra?: Record<string, unknown>) {
  return (...args: unknown[]) => {
    const now = Date.now();
    if (now - logWindow >= 1000) (logWindow = now), (logCount = 0);
    if (++logCount > LOG_LINES_PER_SECOND) return;
    const { msg, fields } = logArgs(args, extra);
    let data: Record<string, unknown> | undefined;
    try {
      data = JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
    } catch {
      data = { fields: 'not serialisable' };
    }
    send({ t: 'log', agentId, level, msg: msg.slice(0, 2000), fields: data });
  };
}

function childLogger(agentId: string, extra?: Record<string, unknown>): Record<string, unknown> {
  return {
    trace: logLine(agentId, 'debug', extra),
    debug: logLine(agentId, 'debug', extra),
    info: logLine(agentId, 'info', extra),
    log: logLine(agentId, 'info', extra),
    success: logLine(agentId, 'info', { ...extra, success: true }),
    progress: logLine(agentId, 'info', extra),
    warn: logLine(agentId, 'warn', extra),
    error: logLine(agentId, 'error', extra),
    fatal: logLine(agentId, 'error', { ...extra, fatal: true }),
    child: (fields: Record<string, unknown>) => childLogger(agentId, { ...extra, ...fields }),
  };
}

/**
 * Components the plugin registered from inside (registerEvent/Action/Provider/Evaluator) by id; the
 * host holds a proxy for each (protocol `register`).
 */
const dynamic = new Map<number, unknown>();
let nextDynamic = 1;
/** Bridged methods whose function arguments are kept after the request (handlers the host calls later). */
const KEEPS_FUNCTIONS = new Set(['registerSendHandler']);

/**
 * One runtime per agent, kept across calls: a service started in one call keeps its runtime and uses it
 * in later ones (requests then belong to the call in progress, found from the async context). Its sync
 * parts (settings, character, conversation length, component lists) read the latest call's snapshot.
 */
interface AgentState {
  ctx: CallContext;
  runtime: PluginRuntime;
  /** Services started in this child for this agent, by serviceType (getService answers from here). */
  services: Map<string, ServiceInstance>;
}
const agents = new Map<string, AgentState>();

function runtimeFor(callId: number, ctx: CallContext): PluginRuntime {
  const known = agents.get(ctx.agentId);
  if (known) {
    known.ctx = ctx;
    return known.runtime;
  }
  const state = { ctx, services: new Map<string, ServiceInstance>() } as AgentState;
  agents.set(ctx.agentId, state);
  state.runtime = makeRuntime(callId, state);
  return state.runtime;
}

function makeRuntime(firstCall: number, state: AgentState): PluginRuntime {
  const agentId = state.ctx.agentId;
  const ask = (req: WorkerRequest) => request(firstCall, req, agentId);
  const allowed = (permission: string) => state.ctx.permissions.some((p) => covers(p, permission));
  const refuse = (permission: string): never => {
    const declared = state.ctx.declared === undefined || state.ctx.declared.some((d) => covers(d, permission));
    throw new PermissionDeniedError(plugin.name, permission, declared ? 'not_granted' : 'undeclared', agentId);
  };
  const register = (component: DynamicComponent['kind'], value: unknown, describe: (id: number) => DynamicComponent) => {
    if (!value || (component === 'event' ? typeof value !== 'function' : typeof value !== 'object'))
      throw new TypeError(`register${component[0]!.toUpperCase()}${component.slice(1)}: not a valid ${component}`);
    const id = nextDynamic++;
    dynamic.set(id, value);
    // ElizaOS's register* return nothing: a refusal is the host's to report (it logs it).
    void ask({ op: 'register', component: describe(id) }).catch(() => undefined);
  };
  const runtime = {
    agentId,
    get character() {
      return state.ctx.character as PluginRuntime['character'];
    },
    getSetting(key: string) {
      const ctx = state.ctx;
      if (Object.prototype.hasOwnProperty.call(ctx.settings, key)) return ctx.settings[key];
      const permission = `${ctx.secretKeys.includes(key) ? 'secrets' : 'settings'}:${key}`;
      // Allowed but not set for this agent: undefined (never a fallback elsewhere).
      if (allowed(permission)) return undefined;
      return refuse(permission);
    },
    // Any model type: TEXT_EMBEDDING comes back as numbers, OBJECT_* as objects.
    useModel: async (type: string, params: unknown) => ask({ op: 'useModel', type, params: plain(params) as Record<string, unknown> }),
    getService: (type: string) => state.services.get(type) ?? null,
    getServicesByType: (type: string) => (state.services.has(type) ? [state.services.get(type)] : []),
    hasService: (type: string) => state.services.has(type),
    getAllServices: () => new Map(state.services),
    /** A service class started here, with this runtime (its code stays in the sandbox). */
    async registerService(service: { serviceType?: string; start?: (rt: unknown) => Promise<ServiceInstance> }) {
      if (typeof service?.serviceType !== 'string' || typeof service.start !== 'function')
        throw new TypeError('registerService: a class with static serviceType and start(runtime)');
      if (!allowed(needs.services)) refuse(needs.services);
      if (!state.services.has(service.serviceType)) state.services.set(service.serviceType, await service.start(runtime));
    },
    registerEvent: (event: string, handler: unknown) => register('event', handler, (id) => ({ kind: 'event', id, event: String(event) })),
    registerAction: (a: Action) => register('action', a, (id) => ({ kind: 'action', id, name: a.name, description: a.description, similes: a.similes })),
    registerProvider: (p: Provider) =>
      register('provider', p, (id) => ({
        kind: 'provider',
        id,
        name: p.name,
        description: p.description,
        dynamic: p.dynamic,
        position: p.position,
        private: p.private,
      })),
    registerEvaluator: (e: Evaluator) =>
      register('evaluator', e, (id) => ({ kind: 'evaluator', id, name: e.name, description: e.description, similes: e.similes, alwaysRun: e.alwaysRun })),
    getConversationLength: () => state.ctx.snapshot?.conversationLength ?? 0,
    // A registered handler (snapshot) is called through useModel, which dispatches to it at the host.
    getModel: (type: string) =>
      state.ctx.snapshot?.models?.includes(type) ? (_rt: unknown, params: unknown) => runtime.useModel(type as never, params as never) : undefined,
    get plugins() {
      return state.ctx.snapshot?.plugins ?? [];
    },
    get actions() {
      return state.ctx.snapshot?.actions ?? [];
    },
    get providers() {
      return state.ctx.snapshot?.providers ?? [];
    },
    get evaluators() {
      return state.ctx.snapshot?.evaluators ?? [];
    },
    logger: childLogger(agentId, { plugin: plugin.name }),
    fetch: (...args: Parameters<typeof fetch>) => globalThis.fetch(...args),
    queries: {
      recentMessages: (...args: unknown[]) => ask({ op: 'query', name: 'recentMessages', args }) as never,
      knowledge: (...args: unknown[]) => ask({ op: 'query', name: 'knowledge', args }) as never,
      facts: (...args: unknown[]) => ask({ op: 'query', name: 'facts', args }) as never,
    },
    record: (effect: Record<string, unknown>) =>
      send({ t: 'record', callId: currentCall.getStore() ?? firstCall, effect: plain(effect) as Record<string, unknown> }),
  } as unknown as PluginRuntime;
  // Every method of runtime-bridge.ts, by name (dotted names land on nested objects). Functions among
  // the arguments (a callback, a send handler) stay here and cross as {fn: id}; the host calls them back.
  for (const name of state.ctx.bridged ?? []) {
    const path = name.split('.');
    let target = runtime as unknown as Record<string, unknown>;
    for (const part of path.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
    target[path[path.length - 1]!] = (...args: unknown[]) => {
      // An event's live parts are not data: the host gives each handler its own runtime.
      if (name === 'emitEvent' && args[1] && typeof args[1] === 'object') {
        const { runtime: _r, callback: _c, onComplete: _o, ...data } = args[1] as Record<string, unknown>;
        args = [args[0], data];
      }
      // ElizaOS passes the runtime first here; the host uses its own.
      if (name === 'messageService.handleMessage') args = args.slice(1);
      const refs: number[] = [];
      args = args.map((a) => {
        if (typeof a !== 'function') return a;
        const id = nextDynamic++;
        dynamic.set(id, a);
        refs.push(id);
        return { fn: id };
      });
      const answer = ask({ op: 'runtime', method: name, args: plain(args) as unknown[] });
      // A registered handler lives on; a callback only as long as its request.
      if (refs.length && !KEEPS_FUNCTIONS.has(name)) void answer.finally(() => refs.forEach((id) => dynamic.delete(id))).catch(() => undefined);
      return answer;
    };
  }
  return runtime;
}

// fetch goes through the host, which checks net:<host> for the agent of the call in progress.
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const headers = init?.headers ? Object.fromEntries(new Headers(init.headers).entries()) : undefined;
  const body = typeof init?.body === 'string' ? init.body : undefined;
  const r = (await request(currentCall.getStore() ?? 0, { op: 'fetch', url, init: { method: init?.method, headers, body } })) as {
    status: number;
    statusText: string;
    headers: Record<string, string>;
    body: string;
  };
  return new Response(r.status === 204 || r.status === 304 ? null : r.body, { status: r.status, statusText: r.statusText, headers: r.headers });
}) as typeof fetch;

let plugin: Plugin;
/** Services of the manifest started per agent: `${agentId} ${index}` → the instance (for service.stop). */
const manifestServices = new Map<string, ServiceInstance>();

async function run(msg: Extract<HostToWorker, { t: 'call' }>): Promise<unknown> {
  const runtime = runtimeFor(msg.id, msg.ctx);
  const [a0, a1, a2, a3, a4] = msg.args as [unknown, unknown, unknown, unknown, unknown];
  const callback = (content: Content) => request(msg.id, { op: 'callback', content: plain(content) as Record<string, unknown> }).then(() => undefined);
  // ElizaOS's event payload: { runtime, message, source, callback, … } with this child's runtime and the host's callback.
  const payload = () => ({ ...(a0 as Record<string, unknown>), runtime, callback: a1 ? callback : undefined });
  switch (msg.kind) {
    case 'init':
      return plugin.init?.(a0 as Record<string, string>, runtime);
    case 'action.validate':
      return plugin.actions![msg.index]!.validate(runtime, a0 as never, a1 as never);
    case 'action.handler':
      return plugin.actions![msg.index]!.handler(runtime, a0 as never, a1 as never, a2 as never, a3 ? callback : undefined, a4 as never);
    case 'provider.get':
      return plugin.providers![msg.index]!.get(runtime, a0 as never, a1 as never);
    case 'evaluator.validate':
      return plugin.evaluators![msg.index]!.validate(runtime, a0 as never, a1 as never);
    case 'evaluator.handler':
      return plugin.evaluators![msg.index]!.handler(runtime, a0 as never, a1 as never, a2 as never, a3 ? callback : undefined, a4 as never);
    case 'event':
      return plugin.events![msg.key!]![msg.index]!(payload());
    case 'dynamic': {
      const component = dynamic.get(msg.index) as Record<string, (...a: unknown[]) => unknown> | ((...a: unknown[]) => unknown) | undefined;
      if (!component) throw new Error(`no component registered as #${msg.index}`);
      if (typeof component === 'function') {
        if (msg.key === 'function') return component(...msg.args);
        if (msg.key === 'send') return component(runtime, a0, a1);
        return component(payload());
      }
      if (msg.key === 'get') return component.get!(runtime, a0, a1);
      if (msg.key === 'validate') return component.validate!(runtime, a0, a1);
      if (msg.key === 'handler') return component.handler!(runtime, a0, a1, a2, a3 ? callback : undefined, a4);
      throw new Error(`unknown component method "${msg.key}"`);
    }
    case 'model':
      return plugin.models![msg.key!]!(runtime, a0 as Record<string, unknown>);
    case 'route':
      return serveRoute(msg.index, a0 as RouteRequest, runtime);
    case 'service.start': {
      const service = plugin.services![msg.index]!;
      const instance = await service.start(runtime);
      manifestServices.set(`${msg.ctx.agentId} ${msg.index}`, instance);
      agents.get(msg.ctx.agentId)!.services.set(service.serviceType, instance);
      return { capabilityDescription: instance.capabilityDescription };
    }
    case 'service.stop': {
      const key = `${msg.ctx.agentId} ${msg.index}`;
      const instance = manifestServices.get(key);
      manifestServices.delete(key);
      agents.get(msg.ctx.agentId)?.services.delete(plugin.services![msg.index]!.serviceType);
      return instance?.stop();
    }
  }
}

/** Answers a route handler may give after it returned (Express style); beyond this the host reports it unanswered. */
const ROUTE_ANSWER_MS = 6_000;

/** Runs a route handler against an Express-like req/res; the answer crosses back as data (RouteAnswer). */
function serveRoute(index: number, data: RouteRequest, runtime: PluginRuntime): Promise<RouteAnswer> {
  const route = (plugin.routes as { handler: (req: unknown, res: unknown, rt: unknown) => unknown }[])[index]!;
  return new Promise((resolve, reject) => {
    let sent = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (answer: RouteAnswer) => {
      if (sent) return;
      sent = true;
      clearTimeout(timer);
      resolve(answer);
    };
    // Plain data only crosses back: a JSON body is copied to plain values, bytes to a fresh array.
    const res = expressResponse((a) =>
      settle({ ...a, body: a.kind === 'json' ? plain(a.body) : a.kind === 'bytes' ? new Uint8Array(a.body as Uint8Array) : a.body }),
    );
    const req = { ...data, get: (name: string) => data.headers[String(name).toLowerCase()] };
    Promise.resolve()
      .then(() => route.handler(req, res, runtime))
      .then(
        () => void (sent || (timer = setTimeout(() => settle({ unanswered: true }), ROUTE_ANSWER_MS))),
        (err) => {
          if (sent) return;
          sent = true;
          reject(err);
        },
      );
  });
}

const reader = new FrameReader(Number.MAX_SAFE_INTEGER, (m) => onHostMessage(m as HostToWorker));
channel.on('data', (chunk: Buffer) => reader.push(chunk));

function onHostMessage(msg: HostToWorker): void {
  if (msg.t === 'answer') {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (p)
      msg.ok
        ? p.resolve(msg.value)
        : p.reject(Object.assign(new Error(msg.error), { name: msg.error.startsWith('plugin "') ? 'PermissionDeniedError' : 'Error' }));
    return;
  }
  currentCall.run(msg.id, () => {
    Promise.resolve()
      .then(() => run(msg))
      .then(
        (value) => {
          let data: unknown;
          try {
            data = plain(value);
          } catch (err) {
            return send({ t: 'result', id: msg.id, ok: false, error: `the result could not cross to the server: ${(err as Error).message}` });
          }
          send({ t: 'result', id: msg.id, ok: true, value: data });
        },
        (err) => send({ t: 'result', id: msg.id, ok: false, error: (err as Error)?.message ?? String(err) }),
      );
  });
}

// An error nobody catches (a throw in a timer, an unawaited rejection) ends the child; the host
// reports it with the last lines of stderr.
process.on('uncaughtException', (err) => {
  process.stderr.write(`uncaught: ${err?.message ?? String(err)}\n`);
  process.exit(70);
});

function describe(p: Plugin): Manifest {
  return {
    name: p.name,
    version: p.version,
    description: p.description,
    config: p.config,
    priority: p.priority,
    permissions: p.permissions ? [...p.permissions] : undefined,
    dependencies: p.dependencies,
    hasInit: typeof p.init === 'function',
    actions: (p.actions ?? []).map((a) => ({
      name: a.name,
      similes: a.similes,
      description: a.description,
      examples: plain(a.examples) as unknown[][] | undefined,
    })),
    providers: (p.providers ?? []).map((pr) => ({
      name: pr.name,
      description: pr.description,
      dynamic: pr.dynamic,
      position: pr.position,
      private: pr.private,
    })),
    evaluators: (p.evaluators ?? []).map((e) => ({ name: e.name, description: e.description, similes: e.similes, alwaysRun: e.alwaysRun })),
    services: (p.services ?? []).map((s) => ({ serviceType: s.serviceType, dependencies: s.dependencies })),
    models: Object.keys(p.models ?? {}).filter((k) => typeof p.models![k] === 'function'),
    events: Object.fromEntries(Object.entries(p.events ?? {}).map(([k, v]) => [k, (v ?? []).length])),
    routes: Array.isArray(p.routes)
      ? p.routes.map((raw) => {
          const r = (raw ?? {}) as Record<string, unknown>;
          const handler = typeof r.handler === 'function' ? r.handler : undefined;
          return {
            type: String(r.type),
            path: String(r.path),
            ...(typeof r.name === 'string' ? { name: r.name } : {}),
            public: r.public === true,
            isMultipart: r.isMultipart === true,
            uploads: handler ? UPLOAD_HANDLER.test(Function.prototype.toString.call(handler)) : false,
            hasHandler: Boolean(handler),
          };
        })
      : undefined,
  };
}

try {
  const mod = (await import(start.kind === 'file' ? pathToFileURL(start.entry).href : start.entry)) as Record<string, unknown>;
  const candidate = mod.default ?? mod.plugin ?? Object.values(mod).find((v) => v && typeof v === 'object' && 'name' in (v as object));
  const shape = checkPluginShape(candidate);
  if (!shape.ok) send({ t: 'load_failed', error: `does not export an ElizaOS plugin: ${shape.problems.join('; ')}` });
  else {
    plugin = shape.plugin;
    send({ t: 'ready', manifest: describe(plugin) });
  }
} catch (err) {
  send({ t: 'load_failed', error: (err as Error)?.message ?? String(err), code: (err as { code?: string })?.code });
}
