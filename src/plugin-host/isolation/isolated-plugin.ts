import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { checkPermissionList, needs, PermissionSet, type PermissionSource } from '../permissions.ts';
import type { Action, Evaluator, HandlerCallback, Plugin, PluginEffect, PluginRuntime, Provider, ServiceClass } from '../types.ts';
import { BRIDGED_METHODS, bridgedMethod, bridgePermissions } from './runtime-bridge.ts';
import { childBundleDir, childScriptPath, loadablePluginFile } from './child-bundle.ts';
import { PluginChild } from './plugin-child.ts';
import type {
  CallContext,
  ComponentKind,
  DynamicComponent,
  HostToWorker,
  Manifest,
  RouteAnswer,
  RouteRequest,
  RuntimeSnapshot,
  WorkerRequest,
  WorkerStart,
  WorkerToHost,
} from './protocol.ts';
import { collapsePaths, readPathsFor, sandboxCommand, sandboxTools, type SandboxTools } from './sandbox.ts';
import { isWithin } from '../../shared/paths.ts';

/**
 * A third-party plugin run in its own sandboxed child process (sandbox.ts), seen by the rest of
 * Chronicle as an ordinary `Plugin` whose functions are proxies: each call crosses a size-limited
 * channel with a time limit, and each thing the plugin asks of the runtime (settings, models,
 * queries, records, fetch) is checked against its permissions for the agent of that call. A plugin
 * that throws on load, hangs, crashes, exhausts its memory or floods the channel is stopped and
 * reported; the agent keeps going without it, and the plugin can be restarted (explicitly, or on a
 * later call after a back-off).
 */

export interface IsolationLimits {
  /** V8 heap limits of the child. */
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb: number;
  /** All of the child's writable memory, heap and off-heap (RLIMIT_DATA, when prlimit is present). */
  maxMemoryMb: number;
  /** CPU seconds over the child's lifetime (RLIMIT_CPU, when prlimit is present). */
  cpuSeconds: number;
  /** Largest message the child may send (a result, a request); beyond it the plugin is stopped. */
  maxMessageBytes: number;
  /** Loading the module and describing it. */
  loadTimeoutMs: number;
  /** Any one handler call (the child is killed when it runs over). */
  callTimeoutMs: number;
  /** runtime.record calls across all agents; more is a flood and stops the plugin. */
  maxEffectsPerMinute: number;
  /** Messages the child sends unasked (requests, records); more is a flood and stops the plugin. */
  maxMessagesPerSecond: number;
  /** Bytes of a proxied fetch response body. */
  maxFetchBytes: number;
  /** Automatic restarts on a later call (0: only explicit restart()). */
  maxRestarts: number;
  /** Back-off before an automatic restart, doubled after each one. */
  restartDelayMs: number;
  /** runtime.logger lines a second kept from the child (more are dropped and counted). */
  maxLogLinesPerSecond: number;
}

export const DEFAULT_LIMITS: IsolationLimits = {
  maxOldGenerationSizeMb: 64,
  maxYoungGenerationSizeMb: 16,
  // Node itself needs ~45 MB of writable memory; 256 MB leaves ~150 MB of Buffers (measured, README).
  maxMemoryMb: 256,
  cpuSeconds: 900,
  maxMessageBytes: 8 * 1024 * 1024,
  loadTimeoutMs: 20_000,
  // Below the turn pipeline's own provider and action deadlines, so the child is stopped, not just abandoned.
  callTimeoutMs: 8_000,
  maxEffectsPerMinute: 120,
  maxMessagesPerSecond: 2_000,
  maxFetchBytes: 5 * 1024 * 1024,
  maxRestarts: 3,
  restartDelayMs: 5_000,
  maxLogLinesPerSecond: 100,
};

/** A logger line from the sandbox: the message and the fields are capped before they reach the log. */
const MAX_LOG_MESSAGE_CHARS = 2_000;
const MAX_LOG_FIELDS_CHARS = 4_000;
/** register* calls from inside the sandbox, over the plugin's life (a plugin registers a handful per agent). */
const MAX_REGISTRATIONS = 500;

/** The host's answer to the child as JSON data (typed arrays as arrays), refused beyond `maxBytes`. */
function crossable(value: unknown, maxBytes: number): unknown {
  if (value === undefined) return undefined;
  const json = JSON.stringify(value, (_k, v) =>
    ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : typeof v === 'bigint' ? String(v) : v,
  );
  if (json === undefined) return undefined;
  if (json.length > maxBytes) throw new Error(`the answer is larger than ${maxBytes} bytes`);
  return JSON.parse(json);
}

export interface PluginFailure {
  plugin: string;
  /** "load", "init", "action:NAME", "provider:NAME", "worker" (crashed between calls), … */
  component: string;
  error: string;
  agentId?: string;
  /** True when a caller also received the error (so it may already be recorded by the turn). */
  reportedToCaller: boolean;
}

export interface IsolatedPluginOptions {
  /** A file (a folder plugin's index.ts/js) or an npm package name. */
  entry: string;
  kind: 'file' | 'package';
  /** Grants per agent; without one nothing is granted. */
  grants?: PermissionSource;
  limits?: Partial<IsolationLimits>;
  onFailure?: (failure: PluginFailure) => void;
  /** Folders the plugin must never read (the data directory): refused if a read path holds one, hidden under bubblewrap. */
  protectedPaths?: string[];
  /** Run even when the host cannot cut the child's network (no bwrap/unshare). */
  allowWeak?: boolean;
  /** Tests simulate a poorer host. */
  tools?: Partial<SandboxTools>;
}

export type IsolatedStatus = 'running' | 'failed' | 'stopped';

export interface IsolatedPlugin {
  /** The proxy: the same object across restarts. */
  readonly plugin: Plugin;
  readonly status: IsolatedStatus;
  readonly lastFailure: string | undefined;
  readonly restarts: number;
  /** Starts a fresh child (killing the old one); resolves when the plugin is loaded again. */
  restart(): Promise<void>;
  /** Kills the child; later calls are refused. */
  stop(): Promise<void>;
}

interface InFlight {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  component: string;
  agentId?: string;
  runtime?: PluginRuntime;
  perms: PermissionSet;
  callback?: HandlerCallback;
  /** A refusal during the call (e.g. a denied record) fails the call when it returns. */
  denied?: Error;
}

/** Every isolated plugin of this process that is not stopped, so shutdown can stop them all. */
const running = new Set<IsolatedHost>();

/** Starts the plugin's child and resolves once it has loaded; rejects with the reason when it cannot. */
export async function startIsolatedPlugin(options: IsolatedPluginOptions): Promise<IsolatedPlugin> {
  const host = new IsolatedHost(options);
  running.add(host);
  try {
    await host.boot();
  } catch (err) {
    running.delete(host);
    throw err;
  }
  return host;
}

/** Stops every isolated plugin of this process (server shutdown): no child outlives the server. */
export async function stopIsolatedPlugins(): Promise<void> {
  await Promise.all([...running].map((h) => h.stop()));
}

/** The file a plugin's child imports: a folder plugin's file as given, an npm package resolved here. */
function resolveEntry(entry: string, kind: 'file' | 'package'): string {
  if (kind === 'file') return realpathSync(entry);
  // Resolved from the server's own module location, as an in-process import would be: ESM
  // resolution first (packages with only an "import" export), then CommonJS.
  let file: string;
  try {
    const url = import.meta.resolve(entry);
    if (!url.startsWith('file:')) throw Object.assign(new Error(`"${entry}" is not a package on disk`), { code: 'ERR_MODULE_NOT_FOUND' });
    file = fileURLToPath(url);
  } catch {
    file = createRequire(import.meta.url).resolve(entry);
  }
  return realpathSync(file);
}

class IsolatedHost implements IsolatedPlugin {
  readonly limits: IsolationLimits;
  /** The current child process (named worker for history: it was a worker thread). */
  private worker: PluginChild | undefined;
  private manifest!: Manifest;
  private proxy: Plugin | undefined;
  private calls = new Map<number, InFlight>();
  private nextId = 1;
  private windowStart = 0;
  private windowCount = 0;
  private effectTimes: number[] = [];
  /** The runtime (the plugin's view) of the latest call for each agent: requests made outside a call (a service's timer) use it. */
  private agentRuntimes = new Map<string, PluginRuntime>();
  private logWindowStart = 0;
  private logCount = 0;
  private logDropped = 0;
  private registrations = 0;
  private failedAt = 0;
  status: IsolatedStatus = 'stopped';
  lastFailure: string | undefined;
  restarts = 0;

  constructor(private readonly options: IsolatedPluginOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  get name(): string {
    return this.manifest?.name ?? this.options.entry;
  }

  get plugin(): Plugin {
    return (this.proxy ??= this.buildProxy());
  }

  // ── child lifecycle ───────────────────────────────────────────────────────────────────────────

  async boot(): Promise<void> {
    const child = await this.spawnChild();
    this.worker = child;
    let detach = () => {};
    const manifest = await new Promise<Manifest>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not load within ${this.limits.loadTimeoutMs} ms`)), this.limits.loadTimeoutMs);
      const onMessage = (m: WorkerToHost) => {
        if (m.t === 'ready') resolve(m.manifest);
        else if (m.t === 'load_failed') reject(Object.assign(new Error(m.error), { code: m.code }));
        else reject(new Error(`unexpected first message "${m.t}"`));
      };
      const onExit = (reason: string) => reject(new Error(`${reason} while loading`));
      child.on('message', onMessage).on('exit', onExit);
      // Loading is work the server waits for: keep the event loop alive until it is done.
      child.ref();
      detach = () => (clearTimeout(timer), child.off('message', onMessage).off('exit', onExit), child.unref());
    }).catch(async (err: Error) => {
      detach();
      this.worker = undefined;
      await child.terminate();
      this.status = 'failed';
      this.lastFailure = err.message;
      throw err;
    });
    detach();
    const problems = checkPermissionList(manifest.permissions);
    const refusal = problems.length
      ? `declares invalid permissions: ${problems.join('; ')}`
      : this.proxy && manifest.name !== this.manifest.name
        ? `came back as "${manifest.name}" instead of "${this.manifest.name}"`
        : undefined;
    if (refusal) {
      this.worker = undefined;
      await child.terminate();
      throw new Error(refusal);
    }
    this.manifest = manifest;
    // Listeners check that the child is still the current one, so an old child's last words are ignored.
    child.on('message', (m: WorkerToHost) => this.onMessage(child, m));
    child.on('exit', (reason: string) => this.fail(child, reason, 'worker'));
    this.status = 'running';
    this.lastFailure = undefined;
  }

  /** The sandboxed child for this plugin, or a refusal naming what this host cannot enforce. */
  private async spawnChild(): Promise<PluginChild> {
    const tools = await sandboxTools(this.options.tools);
    if (!tools.bwrap && !tools.unshare && !this.options.allowWeak)
      throw new Error(
        'this host cannot cut an isolated plugin off the network (neither bwrap nor unshare works here); install bubblewrap, or set PLUGIN_SANDBOX_ALLOW_WEAK=true to run it anyway',
      );
    const file = resolveEntry(this.options.entry, this.options.kind);
    const loadable = await loadablePluginFile(file);
    const script = await childScriptPath();
    const readPaths = collapsePaths([childBundleDir(), ...readPathsFor(file), ...(loadable === file ? [] : [loadable])]);
    const protectedPaths = (this.options.protectedPaths ?? []).filter((p) => existsSync(p)).map((p) => realpathSync(p));
    const exposed = protectedPaths.find((p) => readPaths.some((r) => isWithin(p, r)));
    if (exposed) throw new Error(`its folder ${readPaths.find((r) => isWithin(exposed, r))} holds the data directory; move the plugin or the data directory`);
    const start: WorkerStart = { entry: loadable, kind: 'file' };
    const { command, args } = sandboxCommand(
      {
        readPaths,
        hiddenPaths: protectedPaths,
        script,
        args: [JSON.stringify(start)],
        maxOldGenerationSizeMb: this.limits.maxOldGenerationSizeMb,
        maxYoungGenerationSizeMb: this.limits.maxYoungGenerationSizeMb,
        maxMemoryMb: this.limits.maxMemoryMb,
        cpuSeconds: this.limits.cpuSeconds,
      },
      tools,
    );
    return new PluginChild(command, args, this.limits);
  }

  async restart(): Promise<void> {
    const old = this.worker;
    this.worker = undefined;
    if (old) await old.terminate();
    this.rejectAll(new Error(`plugin "${this.name}" was restarted`));
    this.restarts++;
    running.add(this);
    await this.boot();
  }

  async stop(): Promise<void> {
    const old = this.worker;
    this.worker = undefined;
    this.status = 'stopped';
    running.delete(this);
    if (old) await old.terminate();
    this.rejectAll(new Error(`plugin "${this.name}" was stopped`));
  }

  /** Stops a misbehaving child and reports why. Only the current child's failure counts. */
  private fail(child: PluginChild, reason: string, component: string, agentId?: string): void {
    if (child !== this.worker) return;
    this.worker = undefined;
    void child.terminate(reason);
    this.status = 'failed';
    this.lastFailure = reason;
    this.failedAt = Date.now();
    const hadCallers = this.calls.size > 0;
    const first = [...this.calls.values()][0];
    this.rejectAll(new Error(`plugin "${this.name}" stopped: ${reason}`));
    this.options.onFailure?.({
      plugin: this.name,
      component: component === 'worker' && first ? first.component : component,
      error: reason,
      agentId: agentId ?? first?.agentId,
      reportedToCaller: hadCallers,
    });
  }

  private rejectAll(err: Error): void {
    for (const [id, c] of this.calls) {
      clearTimeout(c.timer);
      this.calls.delete(id);
      c.reject(err);
    }
    this.worker?.unref();
  }

  /** A running child, restarting a failed one when the back-off allows; undefined when none. */
  private async ready(): Promise<PluginChild | undefined> {
    if (this.worker && this.status === 'running') return this.worker;
    if (this.status !== 'failed' || this.restarts >= this.limits.maxRestarts) return undefined;
    if (Date.now() - this.failedAt < this.limits.restartDelayMs * 2 ** this.restarts) return undefined;
    try {
      await this.restart();
    } catch {
      this.failedAt = Date.now();
      return undefined;
    }
    return this.worker;
  }

  // ── calls ─────────────────────────────────────────────────────────────────────────────────────

  private permissions(agentId: string | undefined): PermissionSet {
    const id = agentId ?? 'system';
    return new PermissionSet(this.name, this.manifest.permissions, this.options.grants?.(id, this.name) ?? [], id);
  }

  private context(runtime: PluginRuntime | undefined, perms: PermissionSet, agentId: string): CallContext {
    const character = (runtime?.character ?? { name: 'system', bio: [] }) as Record<string, unknown>;
    const charSettings = (character.settings ?? {}) as Record<string, unknown>;
    const secretKeys = [...Object.keys((character.secrets ?? {}) as object), ...Object.keys((charSettings.secrets ?? {}) as object)];
    const settings: CallContext['settings'] = {};
    const candidates = new Set<string>();
    for (const d of perms.effective()) {
      const [kind, key] = d.split(/:(.*)/s) as [string, string];
      if (kind === 'secrets') candidates.add(key);
      else if (kind === 'settings') {
        if (key.endsWith('*')) for (const k of Object.keys(charSettings)) k.startsWith(key.slice(0, -1)) && k !== 'secrets' && candidates.add(k);
        else candidates.add(key);
      }
    }
    for (const key of candidates) {
      if (!perms.allows(needs.setting(key, secretKeys.includes(key)))) continue;
      const value = runtime?.getSetting(key);
      if (value !== undefined) settings[key] = value;
    }
    // The character crosses without its secrets.
    const { secrets: _s, ...rest } = character;
    const { secrets: _ss, ...restSettings } = charSettings;
    return {
      agentId,
      character: JSON.parse(JSON.stringify({ ...rest, settings: restSettings })),
      settings,
      secretKeys,
      permissions: perms.effective(),
      declared: this.manifest.permissions,
      bridged: Object.keys(BRIDGED_METHODS),
      snapshot: snapshotOf(runtime),
    };
  }

  private async call(
    kind: ComponentKind,
    index: number,
    key: string | undefined,
    args: unknown[],
    component: string,
    runtime: PluginRuntime | undefined,
    agentId?: string,
    callback?: HandlerCallback,
  ): Promise<unknown> {
    const worker = await this.ready();
    if (!worker) throw new Error(`plugin "${this.name}" is ${this.status}${this.lastFailure ? `: ${this.lastFailure}` : ''}`);
    const id = this.nextId++;
    const agent = runtime?.agentId ?? agentId ?? 'system';
    const perms = this.permissions(agent);
    const ctx = this.context(runtime, perms, agent);
    if (runtime) this.agentRuntimes.set(agent, runtime);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(worker, `${component} did not finish within ${this.limits.callTimeoutMs} ms`, component, agent),
        this.limits.callTimeoutMs,
      );
      this.calls.set(id, { resolve, reject, timer, component, agentId: agent, runtime, perms, callback });
      const msg: HostToWorker = {
        t: 'call',
        id,
        kind,
        index,
        key,
        args: JSON.parse(JSON.stringify(args, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)) ?? 'null') ?? [],
        ctx,
      };
      // A call in flight keeps the server's event loop alive; an idle child never does.
      worker.ref();
      worker.send(msg);
    });
  }

  private onMessage(worker: PluginChild, m: WorkerToHost): void {
    if (worker !== this.worker) return;
    // Only what the plugin sends unasked counts towards the flood limit (results answer our own calls;
    // a result for no call in flight is unasked too).
    if (m.t !== 'result' || !this.calls.has(m.id)) {
      const now = Date.now();
      if (now - this.windowStart >= 1000) (this.windowStart = now), (this.windowCount = 0);
      if (++this.windowCount > this.limits.maxMessagesPerSecond)
        return this.fail(worker, `flooded the channel (more than ${this.limits.maxMessagesPerSecond} messages a second)`, 'worker');
    }
    switch (m.t) {
      case 'result': {
        const c = this.calls.get(m.id);
        if (!c) return;
        this.calls.delete(m.id);
        clearTimeout(c.timer);
        if (this.calls.size === 0) worker.unref();
        if (c.denied) return c.reject(c.denied);
        return m.ok ? c.resolve(m.value) : c.reject(new Error(m.error));
      }
      case 'record':
        return this.onRecord(worker, m.callId, m.effect);
      case 'request':
        void this.onRequest(m.callId, m.agentId, m.req)
          .then((value) => crossable(value, this.limits.maxMessageBytes))
          .then(
            (value) => this.worker === worker && worker.send({ t: 'answer', id: m.id, ok: true, value } satisfies HostToWorker),
            (err: Error) =>
              this.worker === worker &&
              worker.send({ t: 'answer', id: m.id, ok: false, error: String(err?.message ?? err).slice(0, 2_000) } satisfies HostToWorker),
          );
        return;
      case 'log':
        return this.onLog(m);
      default:
        return this.fail(worker, `sent an unexpected "${m.t}" message`, 'worker');
    }
  }

  private onRecord(worker: PluginChild, callId: number, effect: Record<string, unknown>): void {
    const c = this.calls.get(callId);
    const now = Date.now();
    this.effectTimes = this.effectTimes.filter((t) => now - t < 60_000);
    this.effectTimes.push(now);
    if (this.effectTimes.length > this.limits.maxEffectsPerMinute)
      return this.fail(worker, `flooded events (more than ${this.limits.maxEffectsPerMinute} records a minute)`, c?.component ?? 'worker', c?.agentId);
    if (!c?.runtime) return; // outside a turn there is nothing to record into
    try {
      if (effect.kind === 'room_mode') c.perms.require(needs.roomMode);
      else if (effect.kind === 'fact') c.perms.require(needs.fact);
      else throw new Error(`plugin "${this.name}" recorded an unknown effect "${String(effect.kind)}"`);
      c.runtime.record(effect as unknown as PluginEffect);
    } catch (err) {
      c.denied ??= err as Error;
    }
  }

  /**
   * The runtime and permissions a request is answered with: those of the call in progress when it is the
   * asking agent's; else (a service's timer, an event handler's late work) the latest runtime of the
   * agent named, with that agent's grants — only agents this plugin has worked for.
   */
  private requestContext(callId: number, agentId: string | undefined): { c: InFlight | undefined; runtime: PluginRuntime | undefined; perms: PermissionSet } {
    const c = this.calls.get(callId);
    if (c && (agentId === undefined || c.agentId === agentId)) return { c, runtime: c.runtime, perms: c.perms };
    const runtime = typeof agentId === 'string' ? this.agentRuntimes.get(agentId) : undefined;
    return { c: undefined, runtime, perms: this.permissions(runtime ? agentId : undefined) };
  }

  private async onRequest(callId: number, agentId: string | undefined, req: WorkerRequest): Promise<unknown> {
    const { c, runtime, perms } = this.requestContext(callId, agentId);
    switch (req.op) {
      case 'callback':
        if (!c) throw new Error('callback outside a handler call');
        return void (await c.callback?.(req.content));
      case 'useModel':
        perms.require(needs.model);
        if (!runtime) throw new Error('useModel outside a handler call');
        return runtime.useModel(req.type as never, req.params);
      case 'query': {
        perms.require(needs[req.name]);
        if (!runtime) throw new Error('queries outside a handler call');
        const q = runtime.queries[req.name] as (...a: unknown[]) => Promise<unknown>;
        return q(...req.args);
      }
      case 'fetch':
        return this.proxiedFetch(perms, req.url, req.init);
      case 'runtime': {
        const method = bridgedMethod(req.method);
        if (!Array.isArray(req.args)) throw new Error(`runtime.${req.method}: arguments must be a list`);
        const permission = method.permission?.(req.args);
        for (const p of Array.isArray(permission) ? permission : permission ? [permission] : []) perms.require(p);
        if (!runtime) throw new Error(`runtime.${req.method} outside a handler call`);
        return method.call(runtime, req.args, { plugin: this.name, childFunction: (ref, key) => this.childFunction(ref, key, runtime) });
      }
      case 'register':
        if (!runtime) throw new Error('register* outside a handler call');
        // Each registration is a proxy held by the host: bounded, so a loop cannot grow the server.
        if (++this.registrations > MAX_REGISTRATIONS)
          throw new Error(`plugin "${this.name}" registered more than ${MAX_REGISTRATIONS} components from inside the sandbox`);
        return this.registerDynamic(runtime, req.component);
    }
  }

  /** A function the plugin passed to a bridged method (`{fn: id}`), called back in the child for the same agent. */
  private childFunction(ref: unknown, key: 'function' | 'send', runtime: PluginRuntime): ((...args: unknown[]) => Promise<unknown>) | undefined {
    const id = (ref as { fn?: unknown } | null)?.fn;
    if (typeof id !== 'number' || !Number.isInteger(id)) return undefined;
    return (...args: unknown[]) => this.call('dynamic', id, key, args, key === 'send' ? 'send-handler' : 'callback', runtime);
  }

  /**
   * registerEvent/Action/Provider/Evaluator from inside the sandbox: a proxy of the child's component is
   * registered on the agent's runtime (the plugin's view, so it is attributed to this plugin), like the
   * manifest's. Events reach it only with `events:read:<type>`, as manifest handlers.
   */
  private registerDynamic(runtime: PluginRuntime, d: DynamicComponent): void {
    const rt = runtime as PluginRuntime &
      Partial<Record<'registerEvent' | 'registerAction' | 'registerProvider' | 'registerEvaluator', (...a: unknown[]) => void>>;
    const need = (name: 'registerEvent' | 'registerAction' | 'registerProvider' | 'registerEvaluator') => {
      const fn = rt[name];
      if (typeof fn !== 'function') throw new Error(`runtime.${name} is not offered by this agent's runtime`);
      return fn.bind(rt);
    };
    const invoke = (
      key: string | undefined,
      args: unknown[],
      component: string,
      callRt: PluginRuntime | undefined,
      agentId?: string,
      callback?: HandlerCallback,
    ) => this.call('dynamic', d.id, key, args, component, callRt, agentId, callback);
    switch (d.kind) {
      case 'event':
        return need('registerEvent')(String(d.event), (payload: Record<string, unknown>) =>
          this.deliverEvent(String(d.event), payload, (rtOf, agentId, cb) => invoke(undefined, [payload, Boolean(cb)], `event:${d.event}`, rtOf, agentId, cb)),
        );
      case 'action':
        return need('registerAction')({
          name: String(d.name),
          similes: d.similes,
          description: String(d.description ?? ''),
          examples: [],
          validate: async (r: PluginRuntime, msg: unknown, state: unknown) => Boolean(await invoke('validate', [msg, state], `action:${d.name}`, r)),
          handler: (r: PluginRuntime, msg: unknown, state: unknown, options: unknown, callback?: HandlerCallback, responses?: unknown) =>
            invoke('handler', [msg, state, options, Boolean(callback), responses], `action:${d.name}`, r, undefined, callback) as never,
        } as Action);
      case 'provider':
        return need('registerProvider')({
          name: String(d.name),
          description: d.description,
          dynamic: d.dynamic,
          position: d.position,
          private: d.private,
          get: async (r: PluginRuntime, msg: unknown, state: unknown) => ((await invoke('get', [msg, state], `provider:${d.name}`, r)) ?? {}) as never,
        } as Provider);
      case 'evaluator':
        return need('registerEvaluator')({
          name: String(d.name),
          description: String(d.description ?? ''),
          similes: d.similes,
          alwaysRun: d.alwaysRun,
          examples: [],
          validate: async (r: PluginRuntime, msg: unknown, state: unknown) => Boolean(await invoke('validate', [msg, state], `evaluator:${d.name}`, r)),
          handler: (r: PluginRuntime, msg: unknown, state: unknown, options: unknown, callback?: HandlerCallback, responses?: unknown) =>
            invoke('handler', [msg, state, options, Boolean(callback), responses], `evaluator:${d.name}`, r, undefined, callback),
        } as Evaluator);
      default:
        throw new Error('unknown component kind');
    }
  }

  /**
   * An ElizaOS event for this plugin: delivered only with `events:read:<type>`; the payload's data
   * crosses, its runtime becomes this plugin's view of the emitter's runtime, its callback the host's.
   */
  private async deliverEvent(
    name: string,
    payload: Record<string, unknown>,
    send: (rt: PluginRuntime | undefined, agentId: string | undefined, callback?: HandlerCallback) => Promise<unknown>,
  ): Promise<void> {
    const live = payload.runtime as (PluginRuntime & { forPlugin?: (p: string) => PluginRuntime }) | undefined;
    const rt = live && typeof live.forPlugin === 'function' ? live.forPlugin(this.name) : live && typeof live.agentId === 'string' ? live : undefined;
    const agentId = rt?.agentId ?? (typeof payload.agentId === 'string' ? payload.agentId : undefined);
    if (!this.permissions(agentId).allows(needs.pluginEvent(name))) return;
    const callback = typeof payload.callback === 'function' ? (payload.callback as HandlerCallback) : undefined;
    await send(rt, agentId, callback);
  }

  /** runtime.logger from the sandbox: the agent's logger scoped to the plugin, capped in rate and size. */
  private onLog(m: Extract<WorkerToHost, { t: 'log' }>): void {
    const now = Date.now();
    if (now - this.logWindowStart >= 1000) {
      const dropped = this.logDropped;
      (this.logWindowStart = now), (this.logCount = 0), (this.logDropped = 0);
      if (dropped) this.loggerFor(m.agentId)?.warn(`dropped ${dropped} log lines (more than ${this.limits.maxLogLinesPerSecond} a second)`);
    }
    if (++this.logCount > this.limits.maxLogLinesPerSecond) return void this.logDropped++;
    const level = (['debug', 'info', 'warn', 'error'] as const).includes(m.level) ? m.level : 'info';
    let fields: Record<string, unknown> = {};
    try {
      const json = JSON.stringify(m.fields ?? {});
      fields = json.length > MAX_LOG_FIELDS_CHARS ? { fieldsTruncated: json.length } : (JSON.parse(json) as Record<string, unknown>);
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) fields = {};
    } catch {
      fields = {};
    }
    // The plugin cannot rename itself or its agent in the log, nor forge a line's level or time.
    for (const key of ['plugin', 'agentId', 'level', 'msg', 'time', 'ts']) delete fields[key];
    this.loggerFor(m.agentId)?.[level](String(m.msg ?? '').slice(0, MAX_LOG_MESSAGE_CHARS), { ...fields, sandboxed: true });
  }

  /** The plugin-scoped logger of an agent's runtime (the ElizaOS runtime's `logger`), when this plugin has worked for it. */
  private loggerFor(
    agentId: string | undefined,
  ): Record<'debug' | 'info' | 'warn' | 'error', (msg: string, fields?: Record<string, unknown>) => void> | undefined {
    const rt = (typeof agentId === 'string' ? this.agentRuntimes.get(agentId) : undefined) ?? [...this.agentRuntimes.values()].at(-1);
    return (rt as { logger?: ReturnType<IsolatedHost['loggerFor']> } | undefined)?.logger;
  }

  /** fetch on the plugin's behalf; every hop of a redirect is checked against net:<host>. */
  private async proxiedFetch(perms: PermissionSet, url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) {
    let target = new URL(url);
    for (let hop = 0; hop < 5; hop++) {
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`plugin "${this.name}" may fetch only http(s) URLs`);
      if (!perms.allows(needs.net(target.host)) && !perms.allows(needs.net(target.hostname))) perms.require(needs.net(target.hostname));
      const res = await fetch(target, {
        method: init.method,
        headers: init.headers,
        body: init.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.limits.callTimeoutMs),
      });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        target = new URL(location, target);
        continue;
      }
      const buf = await res.arrayBuffer();
      if (buf.byteLength > this.limits.maxFetchBytes) throw new Error(`response larger than ${this.limits.maxFetchBytes} bytes`);
      return { status: res.status, statusText: res.statusText, headers: Object.fromEntries(res.headers.entries()), body: Buffer.from(buf).toString('utf8') };
    }
    throw new Error('too many redirects');
  }

  /**
   * A route of the sandboxed plugin as src/plugin-host/routes.ts sees an in-process one (it classifies
   * it the same way); the handler serialises the request, runs in the child under `routes:register`,
   * and its answer (status, headers, JSON/text/bytes) is replayed on the real response.
   */
  private routeProxy(r: NonNullable<Manifest['routes']>[number], index: number): Record<string, unknown> {
    const component = `route:${r.type} ${r.path}`;
    const handler = async (req: Record<string, unknown>, res: Record<string, (...a: unknown[]) => unknown>, runtime: PluginRuntime) => {
      const rt =
        typeof (runtime as { forPlugin?: unknown }).forPlugin === 'function'
          ? (runtime as unknown as { forPlugin(p: string): PluginRuntime }).forPlugin(this.name)
          : runtime;
      this.permissions(rt.agentId).require(bridgePermissions.routes);
      const data: RouteRequest = {
        method: String(req.method),
        path: String(req.path),
        url: String(req.url),
        originalUrl: String(req.originalUrl),
        params: (req.params ?? {}) as Record<string, string>,
        query: (req.query ?? {}) as Record<string, string | string[]>,
        body: req.body ?? {},
        headers: (req.headers ?? {}) as Record<string, string>,
        caller: req.caller as RouteRequest['caller'],
      };
      const answer = (await this.call('route', index, undefined, [data], component, rt)) as RouteAnswer;
      if (!answer || 'unanswered' in answer) throw new Error('the handler returned without answering and did not answer later');
      res.status!(Number(answer.status) || 500);
      for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader!(String(k), String(v));
      if (answer.kind === 'json') res.json!(answer.body);
      else if (answer.kind === 'bytes' && answer.body instanceof Uint8Array) res.send!(answer.body);
      else res.send!(String(answer.body ?? ''));
    };
    return {
      type: r.type,
      path: r.path,
      ...(r.name ? { name: r.name } : {}),
      public: r.public,
      isMultipart: r.isMultipart || r.uploads,
      handler: r.hasHandler ? handler : undefined,
    };
  }

  // ── the proxy Plugin ──────────────────────────────────────────────────────────────────────────

  /**
   * Built once from the first manifest. Components of a stopped plugin answer neutrally (validate →
   * false, providers → empty) after the failure was reported, so the agent carries on without it.
   */
  private buildProxy(): Plugin {
    const m = this.manifest;
    const down = () =>
      this.status !== 'running' &&
      !(this.status === 'failed' && this.restarts < this.limits.maxRestarts && Date.now() - this.failedAt >= this.limits.restartDelayMs * 2 ** this.restarts);
    const actions: Action[] = m.actions.map((a, i) => ({
      ...a,
      examples: a.examples as Action['examples'],
      validate: async (rt, msg, state) => (down() ? false : Boolean(await this.call('action.validate', i, undefined, [msg, state], `action:${a.name}`, rt))),
      handler: (rt, msg, state, options, callback, responses) =>
        this.call('action.handler', i, undefined, [msg, state, options, Boolean(callback), responses], `action:${a.name}`, rt, undefined, callback) as never,
    }));
    const providers: Provider[] = m.providers.map((p, i) => ({
      ...p,
      get: async (rt, msg, state) => (down() ? {} : ((await this.call('provider.get', i, undefined, [msg, state], `provider:${p.name}`, rt)) ?? {})),
    }));
    const evaluators: Evaluator[] = m.evaluators.map((e, i) => ({
      ...e,
      validate: async (rt, msg, state) =>
        down() ? false : Boolean(await this.call('evaluator.validate', i, undefined, [msg, state], `evaluator:${e.name}`, rt)),
      handler: (rt, msg, state, options, callback, responses) =>
        this.call('evaluator.handler', i, undefined, [msg, state, options, Boolean(callback), responses], `evaluator:${e.name}`, rt, undefined, callback),
    }));
    const events = Object.fromEntries(
      Object.entries(m.events).map(([name, n]) => [
        name,
        Array.from({ length: n }, (_, i) => async (payload: Record<string, unknown>) => {
          // An event the plugin may not read is simply not delivered to it (deliverEvent checks).
          if (down()) return;
          await this.deliverEvent(name, payload, (rt, agentId, callback) =>
            this.call('event', i, name, [payload, Boolean(callback)], `event:${name}`, rt, agentId, callback),
          );
        }),
      ]),
    );
    const models = Object.fromEntries(
      m.models.map((type) => [type, (rt: PluginRuntime, params: Record<string, unknown>) => this.call('model', 0, type, [params], `model:${type}`, rt)]),
    );
    const services: ServiceClass[] =
      !m.permissions || m.permissions.includes(needs.services)
        ? m.services.map((s, i) => ({
            serviceType: s.serviceType,
            dependencies: s.dependencies,
            start: async (rt) => {
              this.permissions(rt.agentId).require(needs.services);
              const info = (await this.call('service.start', i, undefined, [], `service:${s.serviceType}`, rt)) as
                | { capabilityDescription?: string }
                | undefined;
              return {
                capabilityDescription: info?.capabilityDescription,
                stop: async () => void (await this.call('service.stop', i, undefined, [], `service:${s.serviceType}`, rt).catch(() => undefined)),
              };
            },
          }))
        : [];
    return {
      name: m.name,
      version: m.version,
      description: m.description,
      routes: m.routes?.map((r, i) => this.routeProxy(r, i)),
      config: m.config,
      priority: m.priority,
      permissions: m.permissions,
      dependencies: m.dependencies,
      init: m.hasInit
        ? async (config, rt) => {
            // Config values come from settings and the environment: only granted keys cross.
            const perms = this.permissions(rt.agentId);
            const allowed = Object.fromEntries(
              Object.entries(config).map(([k, v]) => [k, perms.allows(`settings:${k}`) || perms.allows(`secrets:${k}`) ? v : '']),
            );
            await this.call('init', 0, undefined, [allowed], 'init', rt);
          }
        : undefined,
      actions,
      providers,
      evaluators,
      services,
      models,
      events,
    };
  }
}

/** ElizaOS's model types (core's ModelType values), for the getModel snapshot. */
const MODEL_TYPES = [
  'TEXT_SMALL',
  'TEXT_LARGE',
  'TEXT_EMBEDDING',
  'TEXT_TOKENIZER_ENCODE',
  'TEXT_TOKENIZER_DECODE',
  'TEXT_REASONING_SMALL',
  'TEXT_REASONING_LARGE',
  'TEXT_COMPLETION',
  'IMAGE',
  'IMAGE_DESCRIPTION',
  'TRANSCRIPTION',
  'TEXT_TO_SPEECH',
  'AUDIO',
  'VIDEO',
  'OBJECT_SMALL',
  'OBJECT_LARGE',
];

/** What ElizaOS offers synchronously (conversation length, component lists), as data for the child. */
function snapshotOf(runtime: PluginRuntime | undefined): RuntimeSnapshot {
  const rt = (runtime ?? {}) as Partial<Record<'plugins' | 'actions' | 'providers' | 'evaluators', readonly unknown[]>> & {
    getConversationLength?: () => number;
    getModel?: (type: string) => unknown;
  };
  const list = <T>(items: readonly unknown[] | undefined, pick: (x: Record<string, unknown>) => T): T[] =>
    Array.isArray(items) ? items.map((x) => pick((x ?? {}) as Record<string, unknown>)) : [];
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    conversationLength: typeof rt.getConversationLength === 'function' ? Number(rt.getConversationLength()) || 0 : 0,
    models: typeof rt.getModel === 'function' ? MODEL_TYPES.filter((t) => rt.getModel!(t)) : [],
    plugins: list(rt.plugins, (p) => ({ name: String(p.name), description: str(p.description) })),
    actions: list(rt.actions, (a) => ({
      name: String(a.name),
      description: str(a.description),
      similes: Array.isArray(a.similes) ? a.similes.map(String) : undefined,
    })),
    providers: list(rt.providers, (p) => ({
      name: String(p.name),
      description: str(p.description),
      dynamic: p.dynamic === true,
      position: typeof p.position === 'number' ? p.position : undefined,
      private: p.private === true,
    })),
    evaluators: list(rt.evaluators, (e) => ({ name: String(e.name), description: str(e.description), alwaysRun: e.alwaysRun === true })),
  };
}
