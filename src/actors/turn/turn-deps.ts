import type { Subject } from 'rxjs';
import type { Character } from '../../characters/schema.ts';
import type { EventStore } from '../../events/store.ts';
import type { PluginHost } from '../../plugin-host/host.ts';
import type { PluginRuntime, ServiceInstance } from '../../plugin-host/types.ts';
import type { ReadModel } from '../../projections/read-model.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ActorSettings, EphemeralEvent, ModelSource } from '../types.ts';

/** Everything a turn needs from the system; all of it is injected so tests can fake any part. */
export interface TurnDeps {
  store: EventStore;
  /** The indexes retrieval reads (recent messages, knowledge, facts); never the message or the character. */
  readModel: ReadModel;
  /** Resolves when the projections have folded the log up to seq (retrieval reads at the message's position). */
  waitFor(seq: number): Promise<void>;
  models: ModelSource;
  settings: ActorSettings;
  logger: Logger;
  ephemeral: Subject<EphemeralEvent>;
  /** The agent's plugin host for this character (from its events), with the secrets opened (in memory only). */
  agentContext(
    agentId: string,
    character: Character,
  ): Promise<{ character: Character; host: PluginHost; cache?: Map<string, unknown>; registeredServices?: Map<string, ServiceInstance> } | undefined>;
  /** A service by type: the agent's own (its plugins' services) first, then system-level ones. */
  service(type: string, agentId?: string): ServiceInstance | undefined;
  /** The agent's service and connector methods (getServicesByType, registerSendHandler, …), once built. */
  serviceApi?(agentId: string): Partial<PluginRuntime> | undefined;
  now?: () => number;
}

export type TurnOutcome = 'answered' | 'declined' | 'failed' | 'refused' | 'superseded' | 'abandoned' | 'skipped';
