import type { ChatMessage } from '../models/provider.ts';
import { createElizaRuntime, type ElizaRuntime, type ElizaRuntimeParts } from '../plugin-host/eliza-runtime/index.ts';
import type { PluginHost } from '../plugin-host/host.ts';
import type { PluginRuntime, ServiceInstance } from '../plugin-host/types.ts';

/** The agent's side of its ElizaOS runtime: the same outside a turn and in one. */
export interface ElizaAgent {
  agentId: string;
  host: PluginHost;
  cache?: Map<string, unknown>;
  registeredServices?: Map<string, ServiceInstance>;
}

/**
 * The one builder of an agent's ElizaOS runtime, for what plugins see outside a turn
 * (agent-context/runtimes.ts) and inside one (turn/plugin-runtime.ts): the log, the indexes and the
 * agent's host, cache and services are wired the same way; the caller gives what differs (the facade,
 * the models, how plugin failures are kept, the turn's abort).
 */
export function agentElizaRuntime(
  deps: Pick<ElizaRuntimeParts, 'store' | 'readModel' | 'waitFor' | 'logger'>,
  agent: ElizaAgent,
  parts: Pick<ElizaRuntimeParts, 'base' | 'embedder' | 'textProvider' | 'conversationLength' | 'onPluginFailure' | 'signal'>,
): ElizaRuntime {
  return createElizaRuntime({
    ...parts,
    host: agent.host,
    store: deps.store,
    readModel: deps.readModel,
    waitFor: (seq) => deps.waitFor(seq),
    logger: deps.logger.child({ agentId: agent.agentId }),
    cache: agent.cache ?? new Map(),
    services: agent.registeredServices ?? new Map(),
  });
}

/** The chat a plugin's `useModel(type, params)` asks for: its messages, or its prompt as one user message. */
export function promptMessages(params: Parameters<PluginRuntime['useModel']>[1]): ChatMessage[] {
  return params.messages ?? [{ role: 'user', content: params.prompt ?? '' }];
}
