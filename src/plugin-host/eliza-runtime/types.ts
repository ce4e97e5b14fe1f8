import type { UntrustedEventStore } from '../untrusted-store.ts';
import type { ModelProvider } from '../../models/provider.ts';
import type { Embedder } from '../../models/embedder.ts';
import type { ReadModel } from '../../projections/read-model.ts';
import type { Logger } from '../../shared/logger.ts';
import type { PluginHost } from '../host.ts';
import type { Memory, PluginRuntime, ServiceClass, ServiceInstance, State } from '../types.ts';
import type { ElizaLogger } from './logger.ts';

/** The embedder of the agent: the one Embedder type (src/models/embedder.ts). */
export type RuntimeEmbedder = Pick<Embedder, 'embed'>;

export interface PluginFailure {
  plugin: string;
  component: string;
  error: string;
}

/**
 * What one agent's runtime is built from. `base` is Chronicle's small facade (settings, the turn's text
 * model, services, read-only queries, effects); the rest is what the ElizaOS methods need. Per agent,
 * not per turn: `cache` and the host's registrations outlive a turn.
 */
export interface ElizaRuntimeParts {
  base: PluginRuntime;
  host: PluginHost;
  /** Wrapped by createElizaRuntime (untrustedStore): no plugin append skips validation. */
  store: UntrustedEventStore;
  readModel: ReadModel;
  /** Resolves once the read model has applied the event at `seq` (read-your-writes after an append). */
  waitFor(seq: number): Promise<void>;
  embedder(): RuntimeEmbedder;
  /** The model that answers TEXT_* and OBJECT_* when no plugin registered a handler for the type. */
  textProvider(): ModelProvider;
  logger: Logger;
  /** Per-agent ephemeral cache (getCache/setCache): see cache.ts for why it is not in the log. */
  cache: Map<string, unknown>;
  /**
   * Services started for this agent with `registerService` (ElizaOS: a plugin starting its own service
   * class with the agent's runtime); `getService` looks here first, then at the system's services.
   */
  services: Map<string, ServiceInstance>;
  /** Messages a conversation keeps in view (the agent's `recentMessages` setting). */
  conversationLength: number;
  /** A plugin handler failed (an event handler, a provider in composeState): recorded as plugin.failed. */
  onPluginFailure(failure: PluginFailure): void;
  signal?: AbortSignal;
}

/**
 * The runtime ElizaOS plugins receive: Chronicle's facade plus the part of `IAgentRuntime` real plugins
 * use (test/eliza-compat/runtime-type.test-d.ts checks it against @elizaos/core's own type). Every method
 * that does work is async, so an isolated host can proxy it over a message port; the sync ones
 * (getSetting, getService, getConversationLength, logger, the component lists) are data or snapshots.
 */
export interface ElizaRuntime extends PluginRuntime {
  getSetting(key: string): string | number | boolean | null;
  getService<T = any>(serviceType: string): T | null;
  readonly logger: ElizaLogger;
  readonly plugins: readonly unknown[];
  readonly actions: readonly unknown[];
  readonly providers: readonly unknown[];
  readonly evaluators: readonly unknown[];
  readonly fetch: typeof fetch;
  /** A view of this runtime whose `logger` names the plugin (what each plugin's handlers receive). */
  forPlugin(plugin: string): ElizaRuntime;

  // models
  useModel(type: string, params?: unknown, provider?: string): Promise<any>;
  registerModel(type: string, handler: (runtime: any, params: Record<string, unknown>) => Promise<unknown>, provider: string, priority?: number): void;
  getModel(type: string): ((runtime: any, params: Record<string, unknown>) => Promise<unknown>) | undefined;

  // events
  emitEvent(event: string | string[], params: any): Promise<void>;
  registerEvent(event: string, handler: (params: any) => Promise<void>): void;
  getEvent(event: string): ((params: any) => Promise<void>)[] | undefined;

  // components
  registerAction(action: any): void;
  registerProvider(provider: any): void;
  registerEvaluator(evaluator: any): void;
  composeState(message: Memory | any, includeList?: string[] | null, onlyInclude?: boolean, skipCache?: boolean): Promise<State & any>;
  getConversationLength(): number;

  // memories
  createMemory(memory: any, tableName: string, unique?: boolean): Promise<any>;
  getMemories(params: any): Promise<any[]>;
  getMemoryById(id: string): Promise<any | null>;
  getMemoriesByIds(ids: string[], tableName?: string): Promise<any[]>;
  getMemoriesByRoomIds(params: { tableName: string; roomIds: string[]; limit?: number }): Promise<any[]>;
  searchMemories(params: any): Promise<any[]>;
  addEmbeddingToMemory(memory: any): Promise<any>;
  updateMemory(memory: any): Promise<boolean>;
  deleteMemory(memoryId: string): Promise<void>;
  countMemories(roomId: string, unique?: boolean, tableName?: string): Promise<number>;

  // rooms, worlds, entities
  getRoom(roomId: string): Promise<any | null>;
  getRooms(worldId: string): Promise<any[]>;
  getRoomsByIds(roomIds: string[]): Promise<any[] | null>;
  getWorld(worldId: string): Promise<any | null>;
  getEntityById(entityId: string): Promise<any | null>;
  getEntitiesForRoom(roomId: string, includeComponents?: boolean): Promise<any[]>;
  getParticipantsForRoom(roomId: string): Promise<any[]>;
  getRoomsForParticipant(entityId: string): Promise<any[]>;
  getRoomsForParticipants(entityIds: string[]): Promise<any[]>;
  createEntity(entity: any): Promise<boolean>;
  updateWorld(world: any): Promise<void>;
  getAllWorlds(): Promise<any[]>;
  getEntitiesByIds(ids: string[]): Promise<any[] | null>;
  ensureWorldExists(world: any): Promise<void>;
  ensureRoomExists(room: any): Promise<void>;
  ensureConnection(params: any): Promise<void>;
  ensureConnections(entities: any[], rooms: any[], source: string, world: any): Promise<void>;
  ensureParticipantInRoom(entityId: string, roomId: string): Promise<void>;
  addParticipant(entityId: string, roomId: string): Promise<boolean>;

  // cache, services, misc
  getCache<T>(key: string): Promise<T | undefined>;
  setCache<T>(key: string, value: T): Promise<boolean>;
  deleteCache(key: string): Promise<boolean>;
  getServicesByType<T>(type: string): T[];
  registerService(service: ServiceClass | any): Promise<void>;
  hasService(type: string): boolean;
  getParticipantUserState(roomId: string, entityId: string): Promise<'FOLLOWED' | 'MUTED' | null>;
  setParticipantUserState(roomId: string, entityId: string, state: 'FOLLOWED' | 'MUTED' | null): Promise<void>;
  getComponents(entityId: string, worldId?: string, sourceEntityId?: string): Promise<any[]>;
  getComponent(entityId: string, type: string, worldId?: string, sourceEntityId?: string): Promise<any | null>;
  getTasks(params: any): Promise<any[]>;
  getTasksByName(name: string): Promise<any[]>;
  createTask(task: any): Promise<any>;
  log(params: { body: Record<string, unknown>; entityId: string; roomId: string; type: string }): Promise<void>;
}
