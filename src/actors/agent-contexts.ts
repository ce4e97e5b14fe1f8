import bootstrapPlugin from '../../plugins/bootstrap/index.ts';
import type { Character } from '../characters/schema.ts';
import { characterSetting, openCharacterSecrets } from '../characters/secrets.ts';
import { createElizaRuntime, type ElizaRuntime, type PluginFailure } from '../plugin-host/eliza-runtime/index.ts';
import { createPluginHost, type PluginHost } from '../plugin-host/host.ts';
import { loadPlugins } from '../plugin-host/loader.ts';
import type { PluginRuntime, ServiceInstance } from '../plugin-host/types.ts';
import { derivedId, sha256Hex } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import { streams } from './streams.ts';
import type { ActorSystemDeps } from './types.ts';

export interface AgentContext {
  /** The character with its secrets opened (in memory only), a copy plugins may write to. */
  character: Character;
  host: PluginHost;
  /** The agent's ephemeral cache (ElizaOS getCache/setCache), kept across turns while the context lives. */
  cache: Map<string, unknown>;
  /** Services the agent's plugins started with runtime.registerService (ElizaOS), by type. */
  services: Map<string, ServiceInstance>;
}

export interface AgentContextDeps extends Pick<ActorSystemDeps, 'store' | 'readModel' | 'models' | 'plugins' | 'secrets' | 'waitFor'> {
  logger: Logger;
  pluginsDir?: string;
  service(type: string): unknown;
}

/**
 * Each agent's character and plugins, as its turns need them: built from the read model's view of the
 * agent, plugins loaded and initialised (ElizaOS registerPlugin), failures recorded as plugin.failed
 * events. Cached per agent until its character changes.
 */
export class AgentContexts {
  private readonly cache = new Map<string, { key: string; view: unknown; value: Promise<AgentContext | undefined> }>();

  constructor(private readonly deps: AgentContextDeps) {}

  /** Drops an agent's context (its character changed or it was deleted); the next turn rebuilds it. */
  forget(agentId: string): void {
    const old = this.cache.get(agentId);
    this.cache.delete(agentId);
    // Services the old context's plugins started (runtime.registerService) end with it.
    void old?.value
      .then(async (ctx) => {
        for (const [type, service] of ctx?.services ?? []) await Promise.resolve(service.stop()).catch((err) => this.deps.logger.warn('service did not stop', { agentId, type, error: String(err) }));
      })
      .catch(() => undefined);
  }

  /** The agent's context, built once per version of its character (a new view of the same character reuses it). */
  get(agentId: string): Promise<AgentContext | undefined> {
    const view = this.deps.readModel.agentById(agentId);
    if (!view || view.deleted) return Promise.resolve(undefined);
    const cached = this.cache.get(agentId);
    // The read model hands out the same (frozen) view until the agent changes: no hashing per turn.
    if (cached && cached.view === view) return cached.value;
    const key = sha256Hex(JSON.stringify(view.character));
    if (cached && cached.key === key) {
      cached.view = view;
      return cached.value;
    }
    const value = (async () => {
      // A copy: the read model's view is frozen and shared, and plugins may write to runtime.character.
      const character = openCharacterSecrets(structuredClone(view.character), this.deps.secrets);
      const { plugins, failures } = await loadPlugins(character.plugins ?? [], this.deps.pluginsDir);
      await this.recordFailures(agentId, key, 'load', failures);
      // A real @elizaos/plugin-bootstrap (named "bootstrap") given to the agent replaces Chronicle's stand-in.
      const chosen = [...(this.deps.plugins ?? []), ...plugins];
      const candidates = chosen.some((p) => p.name === bootstrapPlugin.name) ? chosen : [bootstrapPlugin, ...chosen];
      // ElizaOS registerPlugin: init(config, runtime) first; a plugin whose init throws is left out.
      // What inits register (registerProvider, registerEvent …) is replayed onto the final host for the
      // plugins that are kept.
      const cache = new Map<string, unknown>();
      const services = new Map<string, ServiceInstance>();
      const initHost = createPluginHost(candidates);
      const registered: [string, Parameters<PluginHost['register']>[1]][] = [];
      const recordingHost: PluginHost = { ...initHost, register: (plugin, c) => (registered.push([plugin, c]), initHost.register(plugin, c)) };
      const initRuntime = this.agentRuntime(agentId, character, recordingHost, cache, services);
      const ready = [];
      const initFailures: { name: string; error: string }[] = [];
      for (const plugin of candidates) {
        if (plugin.init) {
          // The character's settings, else the plugin's own default: never the server's environment
          // (a `settings:*` grant would otherwise hand a plugin ADMIN_PASSWORD or JWT_SECRET).
          const config = Object.fromEntries(Object.entries(plugin.config ?? {}).map(([k, v]) => [k, String(characterSetting(character, k) ?? v ?? '')]));
          try {
            await plugin.init(config, initRuntime.forPlugin(plugin.name));
          } catch (err) {
            initFailures.push({ name: plugin.name, error: `init failed: ${(err as Error)?.message ?? String(err)}` });
            continue;
          }
        }
        ready.push(plugin);
      }
      await this.recordFailures(agentId, key, 'init', initFailures);
      const host = createPluginHost(ready);
      for (const [plugin, c] of registered) if (ready.some((p) => p.name === plugin)) host.register(plugin, c);
      return { character, host, cache, services };
    })();
    this.cache.set(agentId, { key, view, value });
    value.catch(() => this.cache.delete(agentId));
    return value;
  }

  /** plugin.failed events, with ids derived from the character version so a retry does not repeat them. */
  private async recordFailures(agentId: string, characterKey: string, component: 'load' | 'init', failures: { name: string; error: string }[]): Promise<void> {
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
   * What a plugin sees outside a turn (its init, its services): the agent, its settings and models and
   * the ElizaOS runtime methods (src/plugin-host/eliza-runtime), but no turn (record is refused).
   */
  agentRuntime(agentId: string, character: Character, host: PluginHost, cache: Map<string, unknown>, services: Map<string, ServiceInstance>): ElizaRuntime {
    const base: PluginRuntime = {
      ...this.systemRuntime(),
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
      services,
      conversationLength: 32,
      onPluginFailure: (f) => void this.recordPluginFailure(agentId, f),
    });
  }

  /** A plugin failure outside a turn (an event handler, a provider of composeState): plugin.failed. */
  private async recordPluginFailure(agentId: string, f: PluginFailure): Promise<void> {
    this.deps.logger.warn('plugin failed outside a turn', { agentId, ...f });
    await this.deps.store
      .append(streams.agent(agentId), [{ id: derivedId(agentId, 'plugin-failed', f.plugin, f.component, f.error), type: 'plugin.failed', data: { plugin: f.plugin, agentId, component: f.component, error: f.error }, meta: { author: { kind: 'system', id: 'system' } } }])
      .catch((err) => this.deps.logger.warn('could not record plugin failure', { agentId, error: String(err) }));
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
