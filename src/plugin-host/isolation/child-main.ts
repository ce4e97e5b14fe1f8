import { AsyncLocalStorage } from 'node:async_hooks';
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { checkPluginShape } from '../host.ts';
import { PermissionDeniedError, covers } from '../permissions.ts';
import type { Content, Plugin, PluginRuntime, ServiceInstance } from '../types.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import type { CallContext, HostToWorker, Manifest, WorkerRequest, WorkerStart, WorkerToHost } from './protocol.ts';

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

function request(callId: number, req: WorkerRequest): Promise<unknown> {
  const id = nextRequest++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ t: 'request', id, callId, req });
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

function makeRuntime(callId: number, ctx: CallContext): PluginRuntime {
  const refuse = (permission: string): never => {
    const declared = ctx.declared === undefined || ctx.declared.some((d) => covers(d, permission));
    throw new PermissionDeniedError(plugin.name, permission, declared ? 'not_granted' : 'undeclared', ctx.agentId);
  };
  const runtime = {
    agentId: ctx.agentId,
    character: ctx.character as PluginRuntime['character'],
    getSetting(key) {
      if (Object.prototype.hasOwnProperty.call(ctx.settings, key)) return ctx.settings[key];
      const permission = `${ctx.secretKeys.includes(key) ? 'secrets' : 'settings'}:${key}`;
      // Allowed but not set for this agent: undefined, as ElizaOS answers (never a fallback elsewhere).
      if (ctx.permissions.some((p) => covers(p, permission))) return undefined;
      return refuse(permission);
    },
    useModel: async (type, params) => String(await request(callId, { op: 'useModel', type, params: plain(params) as Record<string, unknown> })),
    getService: () => undefined,
    queries: {
      recentMessages: (...args) => request(callId, { op: 'query', name: 'recentMessages', args }) as never,
      knowledge: (...args) => request(callId, { op: 'query', name: 'knowledge', args }) as never,
      facts: (...args) => request(callId, { op: 'query', name: 'facts', args }) as never,
    },
    record: (effect) => send({ t: 'record', callId, effect: plain(effect) as Record<string, unknown> }),
  } satisfies PluginRuntime as PluginRuntime;
  // Every method of runtime-bridge.ts, by name (dotted names land on nested objects).
  for (const name of ctx.bridged ?? []) {
    const path = name.split('.');
    let target = runtime as unknown as Record<string, unknown>;
    for (const part of path.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
    target[path[path.length - 1]!] = (...args: unknown[]) => request(callId, { op: 'runtime', method: name, args: plain(args) as unknown[] });
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
const services = new Map<number, ServiceInstance>();

async function run(msg: Extract<HostToWorker, { t: 'call' }>): Promise<unknown> {
  const runtime = makeRuntime(msg.id, msg.ctx);
  const [a0, a1, a2, a3, a4] = msg.args as [unknown, unknown, unknown, unknown, unknown];
  const callback = (content: Content) => request(msg.id, { op: 'callback', content: plain(content) as Record<string, unknown> }).then(() => undefined);
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
      return plugin.events![msg.key!]![msg.index]!(a0 as Record<string, unknown>);
    case 'model':
      return plugin.models![msg.key!]!(runtime, a0 as Record<string, unknown>);
    case 'service.start': {
      const instance = await plugin.services![msg.index]!.start(runtime);
      services.set(msg.index, instance);
      return { capabilityDescription: instance.capabilityDescription };
    }
    case 'service.stop': {
      const instance = services.get(msg.index);
      services.delete(msg.index);
      return instance?.stop();
    }
  }
}

const reader = new FrameReader(Number.MAX_SAFE_INTEGER, (m) => onHostMessage(m as HostToWorker));
channel.on('data', (chunk: Buffer) => reader.push(chunk));

function onHostMessage(msg: HostToWorker): void {
  if (msg.t === 'answer') {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (p) msg.ok ? p.resolve(msg.value) : p.reject(Object.assign(new Error(msg.error), { name: msg.error.startsWith('plugin "') ? 'PermissionDeniedError' : 'Error' }));
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
    actions: (p.actions ?? []).map((a) => ({ name: a.name, similes: a.similes, description: a.description, examples: plain(a.examples) as unknown[][] | undefined })),
    providers: (p.providers ?? []).map((pr) => ({ name: pr.name, description: pr.description, dynamic: pr.dynamic, position: pr.position, private: pr.private })),
    evaluators: (p.evaluators ?? []).map((e) => ({ name: e.name, description: e.description, similes: e.similes, alwaysRun: e.alwaysRun })),
    services: (p.services ?? []).map((s) => ({ serviceType: s.serviceType, dependencies: s.dependencies })),
    models: Object.keys(p.models ?? {}).filter((k) => typeof p.models![k] === 'function'),
    events: Object.fromEntries(Object.entries(p.events ?? {}).map(([k, v]) => [k, (v ?? []).length])),
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
