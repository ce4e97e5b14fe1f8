import { cacheMethods } from './cache.ts';
import { eventMethods } from './events.ts';
import { elizaLogger } from './logger.ts';
import { memoryMethods } from './memories.ts';
import { modelMethods } from './models.ts';
import { roomsAndEntities } from './rooms-and-entities.ts';
import { stateMethods } from './state.ts';
import type { ServiceClass } from '../types.ts';
import type { ElizaRuntime, ElizaRuntimeParts } from './types.ts';
import { untrustedStore } from '../untrusted-store.ts';

export type { ElizaRuntime, ElizaRuntimeParts, PluginFailure } from './types.ts';
export { worldIdOf } from './rooms-and-entities.ts';
export { withLiveParts } from './events.ts';

/**
 * The runtime ElizaOS plugins receive, built from Chronicle's facade (`parts.base`) and the agent's
 * parts. `forPlugin(name)` gives the view a plugin's own handlers get: the same methods, with the
 * logger and the register* calls attributed to that plugin. Views are cached per plugin name.
 */
export function createElizaRuntime(given: ElizaRuntimeParts): ElizaRuntime {
  // By construction, whatever store the caller handed over: a plugin's appends are validated in full.
  const parts: ElizaRuntimeParts = { ...given, store: untrustedStore(given.store) };
  const views = new Map<string, ElizaRuntime>();
  const root = build(parts, 'runtime', (plugin) => {
    let v = views.get(plugin);
    if (!v) views.set(plugin, (v = build(parts, plugin, (p) => (p === plugin ? v! : root.forPlugin(p)))));
    return v;
  });
  return root;
}

function build(parts: ElizaRuntimeParts, plugin: string, forPlugin: (plugin: string) => ElizaRuntime): ElizaRuntime {
  const { base, host } = parts;
  let self: ElizaRuntime;
  const me = () => self;
  const current = () => plugin;
  const models = modelMethods(parts, me, current);
  const memories = memoryMethods(parts, async (text) => (await models.useModel('TEXT_EMBEDDING', { text })) as number[]);
  self = {
    // Chronicle's facade: agentId, character, queries, record (effects of a turn)
    agentId: base.agentId,
    character: base.character,
    queries: base.queries,
    record: base.record,
    // ElizaOS answers null, not undefined, for a missing setting or service.
    getSetting: (key: string) => base.getSetting(key) ?? null,
    getService: <T>(type: string) => ((parts.services.get(type) as T | undefined) ?? base.getService<T>(type) ?? null) as T | null,
    getServicesByType: <T>(type: string) => {
      const s = self.getService<T>(type);
      return s ? [s] : [];
    },
    hasService: (type: string) => !!self.getService(type),
    // The agent's supervised services and its connectors (src/actors/agent-contexts.ts), when it has them.
    getAllServices: base.getAllServices,
    getServiceLoadPromise: base.getServiceLoadPromise,
    registerSendHandler: base.registerSendHandler,
    sendMessageToTarget: base.sendMessageToTarget,
    messageService: base.messageService,
    /** Starts a service class with this agent's runtime (once per type), as ElizaOS's registerService. */
    async registerService(service: ServiceClass) {
      if (typeof service?.serviceType !== 'string' || typeof service.start !== 'function')
        throw new TypeError('registerService: a class with static serviceType and start(runtime)');
      if (parts.services.has(service.serviceType)) return;
      parts.services.set(service.serviceType, await service.start(self));
    },
    logger: elizaLogger(parts.logger.child({ plugin })),
    get plugins() {
      return host.plugins;
    },
    get actions() {
      return host.actions();
    },
    get providers() {
      return host.providers();
    },
    get evaluators() {
      return host.evaluators();
    },
    fetch: (...args: Parameters<typeof fetch>) => fetch(...args),
    forPlugin,
    registerAction: (action) => host.register(plugin, { action }),
    registerProvider: (provider) => host.register(plugin, { provider }),
    registerEvaluator: (evaluator) => host.register(plugin, { evaluator }),
    ...models,
    ...eventMethods(parts, me, current),
    ...stateMethods(parts, me),
    ...memories,
    ...roomsAndEntities(parts),
    ...cacheMethods(parts.cache),
    // Room modes live in the agent actor (agent.room_mode_changed events): a plugin sets them as a turn
    // effect; reading them back is not offered yet (null = "no state", as ElizaOS answers for none).
    async getParticipantUserState(_roomId: string, _entityId: string) {
      return null;
    },
    async setParticipantUserState(roomId: string, _entityId: string, state: 'FOLLOWED' | 'MUTED' | null) {
      base.record({ kind: 'room_mode', roomId, mode: state === 'FOLLOWED' ? 'followed' : state === 'MUTED' ? 'muted' : 'unfollowed' });
    },
    // Entity components and tasks are not part of Chronicle's model: reads are empty, so plugins that
    // only look (bootstrap's providers, its task service) carry on; writes say so.
    async getComponents() {
      return [];
    },
    async getComponent() {
      return null;
    },
    async getTasks() {
      return [];
    },
    async getTasksByName() {
      return [];
    },
    async createTask(): Promise<never> {
      throw new Error('tasks are not supported by Chronicle yet');
    },
    /** ElizaOS's runtime.log (an audit row in its database): a debug line here — the log of record is the event log. */
    async log(params) {
      parts.logger.debug('plugin log', { plugin, type: params?.type, roomId: params?.roomId, entityId: params?.entityId });
    },
  };
  return self;
}
