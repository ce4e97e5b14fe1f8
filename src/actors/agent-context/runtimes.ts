import type { Character } from '../../characters/schema.ts';
import { characterSetting } from '../../characters/secrets.ts';
import type { ElizaRuntime } from '../../plugin-host/eliza-runtime/index.ts';
import { agentElizaRuntime, promptMessages } from '../agent-eliza-runtime.ts';
import type { PluginHost } from '../../plugin-host/host.ts';
import type { PluginRuntime, ServiceInstance } from '../../plugin-host/types.ts';
import type { ConnectorBridge } from '../connectors.ts';
import type { ServiceManager } from '../services.ts';
import type { AgentContextDeps } from '../agent-contexts.ts';
import type { PluginFailureLog } from './plugin-failures.ts';

/** The ElizaOS service and connector methods of an agent's runtime (IAgentRuntime names). */
export type AgentServiceApi = Pick<
  Required<PluginRuntime>,
  | 'getService'
  | 'getServicesByType'
  | 'getAllServices'
  | 'hasService'
  | 'getServiceLoadPromise'
  | 'registerSendHandler'
  | 'sendMessageToTarget'
  | 'messageService'
>;

/** getService & co: the agent's own services first, then system-level ones (ElizaOS 1.7 names). */
export function serviceApi(deps: AgentContextDeps, services: ServiceManager, connectors: ConnectorBridge): AgentServiceApi {
  const get = <T>(type: string) => (services.get(type) ?? deps.service(type)) as T | undefined;
  return {
    getService: get,
    getServicesByType: <T>(type: string) => {
      const s = get<T>(type);
      return s === undefined ? [] : [s];
    },
    getAllServices: () => new Map(services.running().map((s) => [s.type, [s.instance]])),
    hasService: (type: string) => services.has(type) || deps.service(type) !== undefined,
    getServiceLoadPromise: (type: string) => {
      const system = deps.service(type) as ServiceInstance | undefined;
      return system ? Promise.resolve(system) : services.loadPromise(type);
    },
    registerSendHandler: (source, handler) => connectors.registerSendHandler(source, handler),
    sendMessageToTarget: (target, content) => connectors.sendMessageToTarget(target, content),
    messageService: { handleMessage: (_runtime, message, callback) => connectors.handleMessage(message, callback) },
  };
}

/**
 * What a plugin sees outside a turn (its init, its services, its routes): the agent, its settings,
 * models and services, and the ElizaOS runtime methods (src/plugin-host/eliza-runtime), but no turn
 * (record is refused).
 */
export function agentRuntime(
  deps: AgentContextDeps,
  failures: PluginFailureLog,
  agent: {
    agentId: string;
    character: Character;
    host: PluginHost;
    cache: Map<string, unknown>;
    registeredServices: Map<string, ServiceInstance>;
    api: AgentServiceApi;
  },
): ElizaRuntime {
  const { agentId, character } = agent;
  const base: PluginRuntime = {
    ...systemRuntime(deps),
    ...agent.api,
    agentId,
    character,
    getSetting: (key) => characterSetting(character, key),
    useModel: async (_type, params) => (await deps.models.forCharacter(character).generateText({ messages: promptMessages(params) })).text,
  };
  return agentElizaRuntime(deps, agent, {
    base,
    embedder: () => deps.models.embedder(),
    textProvider: () => deps.models.forCharacter(character),
    conversationLength: 32,
    onPluginFailure: (f) => void failures.recordPluginFailure(agentId, f),
  });
}

/** What services and plugin inits outside an agent see. */
export function systemRuntime(deps: AgentContextDeps): PluginRuntime {
  const rm = deps.readModel;
  return {
    agentId: 'system',
    character: { name: 'system', bio: [] },
    getSetting: () => undefined,
    useModel: async (_type, params) => (await deps.models.forCharacter().generateText({ messages: promptMessages(params) })).text,
    getService: <T>(type: string) => deps.service(type) as T | undefined,
    record: (effect) => deps.logger.warn('a service tried to record an effect outside a turn; ignored', { effect: effect.kind }),
    queries: {
      recentMessages: async (roomId, limit, beforeSeq) =>
        rm
          .listMessages(roomId, { beforeSeq, limit })
          .map((m) => ({ id: m.id, authorId: m.authorId, authorKind: m.authorKind, authorName: m.authorKind, text: m.text, seq: m.seq })),
      knowledge: async () => [],
      facts: async () => [],
    },
  };
}
