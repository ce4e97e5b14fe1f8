import { characterSetting } from '../../characters/secrets.ts';
import { ModelError, type GenerateTextParams, type GenerateTextResult, type ModelProvider, type ModelType } from '../../models/provider.ts';
import type { ElizaRuntime } from '../../plugin-host/eliza-runtime/index.ts';
import { agentElizaRuntime, promptMessages } from '../agent-eliza-runtime.ts';
import type { PluginHost } from '../../plugin-host/host.ts';
import type { PluginRuntime, ServiceInstance } from '../../plugin-host/types.ts';
import { errText } from './limits.ts';
import { turnQueries } from './retrieve.ts';
import type { TurnDeps } from './turn-deps.ts';
import type { AgentTurn, Retrieval, Turn } from './turn-state.ts';

/**
 * The runtime a turn's plugins receive: Chronicle's facade (the agent, its settings, models, services,
 * index queries and `record` for the turn's effects) inside the ElizaOS runtime
 * (src/plugin-host/eliza-runtime). One per turn; its per-plugin views are built when first asked for.
 */
export function turnRuntime(
  turn: Turn,
  agent: { character: AgentTurn['character']; host: PluginHost; cache?: Map<string, unknown>; registeredServices?: Map<string, ServiceInstance> },
  provider: ModelProvider,
  embedder: AgentTurn['embedder'],
  retrieval: Retrieval,
): ElizaRuntime {
  const { deps, agentId, signal } = turn;
  const base = facade(deps, agentId, agent.character, provider, retrieval, turn, agent.host);
  return agentElizaRuntime(
    deps,
    { ...agent, agentId },
    {
      base,
      embedder,
      textProvider: () => provider,
      conversationLength: deps.settings.recentMessages,
      onPluginFailure: (f) => void turn.pluginFailures.push(f),
      signal,
    },
  );
}

function facade(
  deps: TurnDeps,
  agentId: string,
  character: AgentTurn['character'],
  provider: ModelProvider,
  retrieval: Retrieval,
  turn: Turn,
  host: PluginHost,
): PluginRuntime {
  const services = deps.serviceApi?.(agentId);
  const self: PluginRuntime = {
    getServicesByType: services?.getServicesByType,
    getAllServices: services?.getAllServices,
    hasService: services?.hasService,
    getServiceLoadPromise: services?.getServiceLoadPromise,
    registerSendHandler: services?.registerSendHandler,
    sendMessageToTarget: services?.sendMessageToTarget,
    messageService: services?.messageService,
    agentId,
    character,
    getSetting: (key) => characterSetting(character, key),
    async useModel(type: ModelType, params) {
      const handler = host.modelHandler(type);
      if (handler) return String(await handler.handler(self, { ...params }));
      const messages = promptMessages(params);
      // The turn's model: retried by the one layer, recorded as model.called with the turn's events.
      const r = await provider.generateText({ ...params, modelType: type === 'TEXT_SMALL' ? 'TEXT_SMALL' : 'TEXT_LARGE', messages });
      return r.text;
    },
    getService: <T>(type: string) => deps.service(type, agentId) as T | undefined,
    record: (effect) => void turn.effects.push(effect),
    queries: turnQueries(deps, agentId, character.name, turn.input.participants, retrieval, turn.indexesAtMessage),
  };
  return self;
}

/** An ElizaOS event whose payload is built only when some plugin of the agent listens to it. */
export async function emitIfHeard(host: PluginHost, runtime: ElizaRuntime, event: string, payload: () => Record<string, unknown>): Promise<void> {
  if (host.eventHandlers(event).length) await runtime.emitEvent(event, payload());
}

/**
 * A plugin that registers a TEXT_LARGE model handler (ElizaOS `plugin.models`, ranked by priority)
 * answers the agent's turns instead of the configured provider. Handlers return whole text (ElizaOS
 * handlers do not stream), so the reply arrives as one delta.
 */
export function pluginModelProvider(host: PluginHost, runtime: () => ElizaRuntime): ModelProvider | undefined {
  const large = host.modelHandler('TEXT_LARGE');
  if (!large) return undefined;
  const call = async (params: GenerateTextParams): Promise<GenerateTextResult> => {
    const type = params.modelType ?? 'TEXT_LARGE';
    const handler = host.modelHandler(type) ?? large;
    const prompt = params.messages.map((m) => (m.role === 'system' ? m.content : `${m.role}: ${m.content}`)).join('\n\n');
    // A plugin's own error is its code failing, not a flaky network: the model-call layer does not retry it.
    const text = await Promise.resolve(
      handler.handler(runtime().forPlugin(handler.plugin), {
        prompt,
        messages: params.messages,
        maxTokens: params.maxTokens,
        temperature: params.temperature,
        stopSequences: params.stopSequences,
      }),
    ).catch((err: unknown) => {
      throw err instanceof ModelError
        ? err
        : new ModelError('unavailable', `model handler of plugin ${handler.plugin} failed: ${errText(err)}`, handler.plugin, false);
    });
    if (typeof text !== 'string')
      throw new ModelError('malformed', `model handler of plugin ${handler.plugin} returned ${typeof text}, not text`, handler.plugin, false);
    return { text, model: `${handler.plugin}:${type}`, usage: { promptTokens: 0, completionTokens: 0 } };
  };
  return {
    name: large.plugin,
    capabilities: { text: true, embeddings: false },
    generateText: call,
    async *streamText(params) {
      const result = await call(params);
      yield { type: 'delta', text: result.text };
      yield { type: 'done', result };
    },
    generateObject: async () => {
      throw new ModelError('unsupported', 'plugin model handlers produce text only', large.plugin, false);
    },
    embed: async () => {
      throw new ModelError('unsupported', 'plugin model handlers produce text only', large.plugin, false);
    },
  };
}
