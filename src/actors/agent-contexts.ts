import { sep } from 'node:path';
import bootstrapPlugin from '../../plugins/bootstrap/index.ts';
import type { Character } from '../characters/schema.ts';
import { characterSetting, openCharacterSecrets } from '../characters/secrets.ts';
import { createPluginHost, type PluginHost } from '../plugin-host/host.ts';
import { createElizaRuntime, type ElizaRuntime, type PluginFailure } from '../plugin-host/eliza-runtime/index.ts';
import { loadPlugins, PLUGINS_DIR, pluginSource, type PluginReport } from '../plugin-host/loader.ts';
import { scopedPlugin } from '../plugin-host/process-errors.ts';
import { classifyRoutes, type MountedRoute, type RefusedRoute } from '../plugin-host/routes.ts';
import type { Plugin, PluginRuntime, ServiceInstance } from '../plugin-host/types.ts';
import { derivedId, newId, sha256Hex } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import { ConnectorBridge } from './connectors.ts';
import type { Inspector } from './runtime.ts';
import { ServiceManager, startableServices } from './services.ts';
import { streams } from './streams.ts';
import type { ActorSystemDeps } from './types.ts';

export interface AgentContext {
  /** The character with its secrets opened (in memory only), a copy plugins may write to. */
  character: Character;
  host: PluginHost;
  /** The services of the agent's plugins, started in dependency order, supervised, stopped with the agent. */
  services: ServiceManager;
  connectors: ConnectorBridge;
  /** What runs for each plugin name of the character (loaded, stand-in, not installed, dropped + why). */
  plugins: PluginReport[];
  routes: { mounted: MountedRoute[]; refused: RefusedRoute[] };
  /** The runtime services, route handlers and inits see (no turn: record is refused). */
  runtime: ElizaRuntime;
  /** The agent's ephemeral cache (ElizaOS getCache/setCache), kept across turns while the context lives. */
  cache: Map<string, unknown>;
  /** Services the agent's plugins started themselves with runtime.registerService (ElizaOS), by type. */
  registeredServices: Map<string, ServiceInstance>;
}

export interface AgentContextDeps extends Pick<ActorSystemDeps, 'store' | 'readModel' | 'models' | 'plugins' | 'secrets' | 'waitFor'> {
  logger: Logger;
  pluginsDir?: string;
  /** Installed packages to run instead of stand-ins (PLUGINS_PREFER_INSTALLED). */
  preferInstalled?: readonly string[];
  /** A system-level service (plugins given to the whole system). */
  service(type: string): unknown;
  inspect?: Inspector;
  restartBaseMs?: number;
  restartMaxMs?: number;
  /** Bound on waiting for an agent's services before its first turn (they keep starting after it). */
  serviceStartWaitMs?: number;
}

/** The ElizaOS service and connector methods of an agent's runtime (IAgentRuntime names). */
export type AgentServiceApi = Pick<
  Required<PluginRuntime>,
  'getService' | 'getServicesByType' | 'getAllServices' | 'hasService' | 'getServiceLoadPromise' | 'registerSendHandler' | 'sendMessageToTarget' | 'messageService'
>;

/**
 * Each agent's character and plugins, as its turns need them: built from the character the agent's
 * actor holds from its events, plugins loaded and initialised (ElizaOS registerPlugin), failures recorded as plugin.failed
 * events. Cached per agent until its character changes.
 */
export class AgentContexts {
  private readonly cache = new Map<string, { key: string; view: unknown; value: Promise<AgentContext | undefined> }>();
  /** Contexts that finished building, for synchronous lookups (getService during a turn, routes). */
  private readonly built = new Map<string, AgentContext>();

  constructor(private readonly deps: AgentContextDeps) {}

  /**
   * Drops an agent's context (its character changed, it stopped or was deleted) and stops its
   * services and connectors; the next turn (or start) rebuilds it.
   */
  forget(agentId: string): Promise<void> {
    const cached = this.cache.get(agentId);
    this.cache.delete(agentId);
    this.built.delete(agentId);
    if (!cached) return this.stopping.get(agentId) ?? Promise.resolve();
    const done = cached.value
      .then(async (ctx) => {
        ctx?.connectors.stop();
        await ctx?.services.stop();
        // Services the context's plugins started themselves (runtime.registerService) end with it.
        for (const [type, service] of ctx?.registeredServices ?? [])
          await Promise.resolve(service.stop()).catch((err) => this.deps.logger.warn('service did not stop', { agentId, type, error: String(err) }));
      })
      .catch((err) => this.deps.logger.warn('stopping an agent\'s services failed', { agentId, error: String(err) }))
      .finally(() => this.stopping.get(agentId) === done && this.stopping.delete(agentId));
    this.stopping.set(agentId, done);
    return done;
  }

  /** Services of an agent's previous context still stopping (a rebuild waits: no two sets at once). */
  private readonly stopping = new Map<string, Promise<void>>();

  /** Stops every agent's services (the system is stopping). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.cache.keys()].map((id) => this.forget(id)));
  }

  /** The built context of an agent, if its build has finished. */
  current(agentId: string): AgentContext | undefined {
    return this.built.get(agentId);
  }

  /**
   * The agent's context for the character its actor holds from the log (agent.created / agent.updated),
   * built once per version of that character (the same character object again reuses it unhashed).
   */
  get(agentId: string, character: Character | undefined): Promise<AgentContext | undefined> {
    if (!character) return Promise.resolve(undefined);
    const cached = this.cache.get(agentId);
    // The actor hands out the same character object until an event changes it: no hashing per turn.
    if (cached && cached.view === character) return cached.value;
    const key = sha256Hex(JSON.stringify(character));
    if (cached && cached.key === key) {
      cached.view = character;
      return cached.value;
    }
    // A changed character: the previous context's services stop before the new ones start.
    if (cached) void this.forget(agentId);
    const value = this.build(agentId, key, character);
    this.cache.set(agentId, { key, view: character, value });
    value.then(
      (ctx) => ctx && this.cache.get(agentId)?.value === value && this.built.set(agentId, ctx),
      () => this.cache.get(agentId)?.value === value && this.cache.delete(agentId),
    );
    return value;
  }

  private async build(agentId: string, key: string, stored: Character): Promise<AgentContext> {
    await this.stopping.get(agentId);
    // A copy: the actor's character is shared (and snapshotted), and plugins may write to runtime.character.
    const character = openCharacterSecrets(structuredClone(stored), this.deps.secrets);
    const prefer = this.deps.preferInstalled ?? [];
    const { plugins, failures, report, sources } = await loadPlugins(character.plugins ?? [], this.deps.pluginsDir, prefer);
    this.deps.logger.debug('agent plugins loaded', { agentId, report });
    await this.recordFailures(agentId, key, 'load', failures);
    // A plugin the composition root gives every agent (e.g. a real @elizaos/plugin-bootstrap, named
    // "bootstrap") or an installed package the operator preferred replaces Chronicle's stand-in of its name.
    const { kept, dropped } = resolveNameClashes([bootstrapPlugin, ...(this.deps.plugins ?? []), ...plugins], (p) => {
      if (this.deps.plugins?.includes(p)) return true;
      const name = sources.get(p);
      return name !== undefined && pluginSource(name, this.deps.pluginsDir, prefer).kind === 'package';
    });
    // Chronicle's own stand-in giving way to the real plugin is the choice that was asked for, not a failure.
    const clashes = dropped.filter((d) => d.plugin !== bootstrapPlugin);
    for (const d of clashes) {
      const name = sources.get(d.plugin) ?? d.plugin.name;
      const line = report.find((r) => r.name === name);
      if (line) Object.assign(line, { status: 'dropped', detail: d.why });
      else report.push({ name, status: 'dropped', detail: d.why });
    }
    await this.recordFailures(agentId, key, 'load', clashes.map((d) => ({ name: sources.get(d.plugin) ?? d.plugin.name, error: `dropped: ${d.why}` })));

    const services = new ServiceManager({
      runtime: () => runtime,
      idPrefix: `agent-${agentId}-`,
      logger: this.deps.logger,
      inspect: this.deps.inspect,
      restartBaseMs: this.deps.restartBaseMs ?? 200,
      restartMaxMs: this.deps.restartMaxMs ?? 30_000,
      onFailure: (type, error, restartInMs) => void this.recordServiceFailure(agentId, services, type, error, restartInMs),
    });
    const connectors = new ConnectorBridge({ agentId, store: this.deps.store, readModel: this.deps.readModel, logger: this.deps.logger, runtime: () => runtime });
    const api = this.serviceApi(services, connectors);
    const cache = new Map<string, unknown>();
    const registeredServices = new Map<string, ServiceInstance>();
    // Chronicle's own plugins (the bootstrap stand-in, plugins/*) are core code and are not scoped: an
    // error of theirs nobody caught is Chronicle's (process-errors.ts policy), and without a scoped
    // plugin Node never turns on the promise hooks AsyncLocalStorage needs (~5 % of a reply's CPU).
    const shipped = (p: Plugin) => p === bootstrapPlugin || (sources.has(p) && pluginSource(sources.get(p)!, this.deps.pluginsDir, prefer).dir?.startsWith(PLUGINS_DIR + sep) === true);
    const scoped = kept.map((original) => ({ original, plugin: shipped(original) ? original : scopedPlugin(original, agentId) }));
    // What inits register (registerProvider, registerEvent …) is replayed onto the final host for the
    // plugins that are kept.
    const initHost = createPluginHost(scoped.map((s) => s.plugin));
    const registered: [string, Parameters<PluginHost['register']>[1]][] = [];
    const recordingHost: PluginHost = { ...initHost, register: (plugin, c) => (registered.push([plugin, c]), initHost.register(plugin, c)) };
    let runtime = this.agentRuntime(agentId, character, recordingHost, cache, registeredServices, api);

    // ElizaOS registerPlugin: init(config, runtime) first; a plugin whose init throws is left out.
    // Every plugin function runs in the plugin's scope, so errors nobody catches are attributed to it.
    const ready: Plugin[] = [];
    const initFailures: { name: string; error: string }[] = [];
    for (const { original, plugin } of scoped) {
      if (plugin.init) {
        // The character's settings, else the plugin's own default: never the server's environment
        // (a `settings:*` grant would otherwise hand a plugin ADMIN_PASSWORD or JWT_SECRET).
        const config = Object.fromEntries(Object.entries(plugin.config ?? {}).map(([k, v]) => [k, String(characterSetting(character, k) ?? v ?? '')]));
        try {
          await plugin.init(config, runtime.forPlugin(plugin.name));
        } catch (err) {
          const error = `init failed: ${(err as Error)?.message ?? String(err)}`;
          initFailures.push({ name: plugin.name, error });
          const line = report.find((r) => r.name === sources.get(original));
          if (line) Object.assign(line, { status: 'failed', detail: error });
          continue;
        }
      }
      ready.push(plugin);
    }
    await this.recordFailures(agentId, key, 'init', initFailures);
    const host = createPluginHost(ready);
    for (const [plugin, c] of registered) if (ready.some((p) => p.name === plugin)) host.register(plugin, c);
    // Services, routes and later calls see the final host (the components of the plugins kept).
    runtime = this.agentRuntime(agentId, character, host, cache, registeredServices, api);

    const routes: AgentContext['routes'] = { mounted: [], refused: [] };
    for (const p of host.plugins) {
      const r = classifyRoutes(p.name, p.routes);
      routes.mounted.push(...r.mounted);
      routes.refused.push(...r.refused);
    }

    // The character's plugins' services run per agent; the built-in and system-level plugins' services
    // run once, system-wide (ServiceManager in system.ts), and are found by getService as a fallback.
    const own = new Set(kept.filter((p) => sources.has(p)).map((p) => p.name));
    const { startable, dropped: noDeps } = startableServices(host.services().filter((s) => own.has(s.plugin)));
    await this.recordFailures(agentId, key, 'service', noDeps.map((d) => ({ name: d.plugin, error: d.reason })));
    const started = services.start(startable).catch(async (err) => {
      // A dependency cycle: nothing of this agent's services starts; the agent still answers.
      await this.recordFailures(agentId, key, 'service', [{ name: startable.map((s) => s.plugin).join(', '), error: (err as Error).message }]);
    });
    // Turns wait for the services a bounded time (a slow one keeps starting in the background).
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([started, new Promise<void>((resolve) => (waited = setTimeout(resolve, this.deps.serviceStartWaitMs ?? 10_000)))]);
    clearTimeout(waited);
    return { character, host, services, connectors, plugins: report, routes, runtime, cache, registeredServices };
  }

  /** getService & co: the agent's own services first, then system-level ones (ElizaOS 1.7 names). */
  private serviceApi(services: ServiceManager, connectors: ConnectorBridge): AgentServiceApi {
    const get = <T>(type: string) => (services.get(type) ?? this.deps.service(type)) as T | undefined;
    return {
      getService: get,
      getServicesByType: <T>(type: string) => {
        const s = get<T>(type);
        return s === undefined ? [] : [s];
      },
      getAllServices: () => new Map(services.running().map((s) => [s.type, [s.instance]])),
      hasService: (type: string) => services.has(type) || this.deps.service(type) !== undefined,
      getServiceLoadPromise: (type: string) => {
        const system = this.deps.service(type) as ServiceInstance | undefined;
        return system ? Promise.resolve(system) : services.loadPromise(type);
      },
      registerSendHandler: (source, handler) => connectors.registerSendHandler(source, handler),
      sendMessageToTarget: (target, content) => connectors.sendMessageToTarget(target, content),
      messageService: { handleMessage: (_runtime, message, callback) => connectors.handleMessage(message, callback) },
    };
  }

  private async recordServiceFailure(agentId: string, services: ServiceManager, type: string, error: string, restartInMs?: number): Promise<void> {
    const plugin = services.states().find((s) => s.type === type)?.plugin ?? 'unknown';
    await this.recordPluginError(agentId, plugin, `service:${type}`, restartInMs !== undefined ? `${error} (restarting in ${Math.round(restartInMs)} ms)` : error);
  }

  /** A plugin's failure at run time (a service, an error nobody caught): each occurrence is an event. */
  async recordPluginError(agentId: string | undefined, plugin: string, component: string, error: string): Promise<void> {
    await this.deps.store
      .append(agentId ? streams.agent(agentId) : streams.system, [
        {
          id: newId(),
          type: 'plugin.failed' as const,
          data: { plugin, ...(agentId ? { agentId } : {}), component, error: error.slice(0, 1000) },
          meta: { author: { kind: 'system' as const, id: 'system' } },
        },
      ])
      .catch((err) => this.deps.logger.warn('could not record plugin failure', { agentId, plugin, error: String(err) }));
  }

  /** plugin.failed events, with ids derived from the character version so a retry does not repeat them. */
  private async recordFailures(agentId: string, characterKey: string, component: 'load' | 'init' | 'service', failures: { name: string; error: string }[]): Promise<void> {
    if (failures.length === 0) return;
    await this.deps.store
      .append(
        streams.agent(agentId),
        failures.map((f) => ({
          id: derivedId(agentId, `plugin-${component}`, characterKey, f.name),
          type: 'plugin.failed' as const,
          data: { plugin: f.name, agentId, component, error: f.error },
          meta: { author: { kind: 'system' as const, id: 'system' } },
        })),
      )
      .catch((err) => this.deps.logger.warn('could not record plugin failure', { agentId, error: String(err) }));
  }

  /**
   * What a plugin sees outside a turn (its init, its services, its routes): the agent, its settings,
   * models and services, and the ElizaOS runtime methods (src/plugin-host/eliza-runtime), but no turn
   * (record is refused).
   */
  private agentRuntime(
    agentId: string,
    character: Character,
    host: PluginHost,
    cache: Map<string, unknown>,
    registeredServices: Map<string, ServiceInstance>,
    api: AgentServiceApi,
  ): ElizaRuntime {
    const base: PluginRuntime = {
      ...this.systemRuntime(),
      ...api,
      agentId,
      character,
      getSetting: (key) => characterSetting(character, key),
      useModel: async (_type, params) => (await this.deps.models.forCharacter(character).generateText({ messages: params.messages ?? [{ role: 'user', content: params.prompt ?? '' }] })).text,
    };
    return createElizaRuntime({
      base,
      host,
      store: this.deps.store,
      readModel: this.deps.readModel,
      waitFor: (seq) => this.deps.waitFor(seq),
      embedder: () => this.deps.models.embedder(),
      textProvider: () => this.deps.models.forCharacter(character),
      logger: this.deps.logger.child({ agentId }),
      cache,
      services: registeredServices,
      conversationLength: 32,
      onPluginFailure: (f) => void this.recordPluginFailure(agentId, f),
    });
  }

  /** A plugin failure outside a turn (an event handler, a provider of composeState): plugin.failed. */
  private async recordPluginFailure(agentId: string, f: PluginFailure): Promise<void> {
    this.deps.logger.warn('plugin failed outside a turn', { agentId, ...f });
    await this.recordPluginError(agentId, f.plugin, f.component, f.error);
  }

  /** What services and plugin inits outside an agent see. */
  systemRuntime(): PluginRuntime {
    const rm = this.deps.readModel;
    return {
      agentId: 'system',
      character: { name: 'system', bio: [] },
      getSetting: () => undefined,
      useModel: async (_type, params) => (await this.deps.models.forCharacter().generateText({ messages: params.messages ?? [{ role: 'user', content: params.prompt ?? '' }] })).text,
      getService: <T>(type: string) => this.deps.service(type) as T | undefined,
      record: (effect) => this.deps.logger.warn('a service tried to record an effect outside a turn; ignored', { effect: effect.kind }),
      queries: {
        recentMessages: async (roomId, limit, beforeSeq) => rm.listMessages(roomId, { beforeSeq, limit }).map((m) => ({ id: m.id, authorId: m.authorId, authorKind: m.authorKind, authorName: m.authorKind, text: m.text, seq: m.seq })),
        knowledge: async () => [],
        facts: async () => [],
      },
    };
  }
}

/**
 * ElizaOS registers the first plugin of a name and skips later ones. Chronicle does the same, except
 * that a package the operator preferred over a stand-in (PLUGINS_PREFER_INSTALLED) wins over the
 * built-in of that name (e.g. the real @elizaos/plugin-bootstrap over Chronicle's bootstrap). The
 * same object twice is no clash (a character naming the built-in bootstrap).
 */
export function resolveNameClashes(candidates: readonly Plugin[], preferred: (p: Plugin) => boolean): { kept: Plugin[]; dropped: { plugin: Plugin; why: string }[] } {
  const kept: Plugin[] = [];
  const dropped: { plugin: Plugin; why: string }[] = [];
  for (const p of candidates) {
    const i = kept.findIndex((k) => k.name === p.name);
    if (i < 0) kept.push(p);
    else if (kept[i] === p || dropped.some((d) => d.plugin === p)) continue;
    else if (preferred(p) && !preferred(kept[i])) {
      dropped.push({ plugin: kept[i], why: `replaced by the installed package of the same name "${p.name}" (PLUGINS_PREFER_INSTALLED)` });
      kept[i] = p;
    } else dropped.push({ plugin: p, why: `another plugin named "${p.name}" was registered first (ElizaOS keeps the first of a name)` });
  }
  return { kept, dropped };
}
