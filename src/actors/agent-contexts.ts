import type { Character } from '../characters/schema.ts';
import type { ElizaRuntime } from '../plugin-host/eliza-runtime/index.ts';
import type { PluginHost } from '../plugin-host/host.ts';
import type { PluginReport } from '../plugin-host/loader.ts';
import type { MountedRoute, RefusedRoute } from '../plugin-host/routes.ts';
import type { PluginRuntime, ServiceInstance } from '../plugin-host/types.ts';
import { sha256Hex } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import { buildAgentContext } from './agent-context/build.ts';
import { PluginFailureLog } from './agent-context/plugin-failures.ts';
import { systemRuntime } from './agent-context/runtimes.ts';
import type { ConnectorBridge } from './connectors.ts';
import type { Inspector } from './runtime.ts';
import type { ServiceManager } from './services.ts';
import type { ActorSystemDeps } from './types.ts';

export { resolveNameClashes } from './agent-context/name-clashes.ts';
export type { AgentServiceApi } from './agent-context/runtimes.ts';

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

export interface AgentContextDeps
  extends Pick<ActorSystemDeps, 'store' | 'readModel' | 'models' | 'bootstrap' | 'shippedPlugins' | 'plugins' | 'secrets' | 'waitFor'> {
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

/**
 * Each agent's character and plugins, as its turns need them: built from the character the agent's
 * actor holds from its events, plugins loaded and initialised (agent-context/build.ts), failures recorded as plugin.failed
 * events. Cached per agent until its character changes.
 */
export class AgentContexts {
  private readonly cache = new Map<string, { key: string; view: unknown; value: Promise<AgentContext | undefined> }>();
  /** Contexts that finished building, for synchronous lookups (getService during a turn, routes). */
  private readonly built = new Map<string, AgentContext>();

  private readonly failures: PluginFailureLog;

  constructor(private readonly deps: AgentContextDeps) {
    this.failures = new PluginFailureLog(deps);
  }

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
      .catch((err) => this.deps.logger.warn("stopping an agent's services failed", { agentId, error: String(err) }))
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

  private async build(agentId: string, key: string, character: Character): Promise<AgentContext> {
    // No two sets of the agent's services at once: the previous context's stop first.
    await this.stopping.get(agentId);
    return buildAgentContext(this.deps, this.failures, agentId, key, character);
  }

  /** A plugin's failure at run time (a service, an error nobody caught): each occurrence is an event. */
  recordPluginError(agentId: string | undefined, plugin: string, component: string, error: string): Promise<void> {
    return this.failures.recordPluginError(agentId, plugin, component, error);
  }

  /** What services and plugin inits outside an agent see. */
  systemRuntime(): PluginRuntime {
    return systemRuntime(this.deps);
  }
}
