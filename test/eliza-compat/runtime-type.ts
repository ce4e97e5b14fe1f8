/**
 * Type test (checked by `tsc --noEmit`, which includes test/): Chronicle's plugin runtime is assignable
 * to the part of @elizaos/core's own IAgentRuntime listed here. Adding a method to the list is how the
 * supported surface grows; a signature that drifts from ElizaOS's fails the type check.
 */
// The package's Node entry re-exports with an extensionless path that NodeNext resolution does not follow,
// so the type is imported from its own declaration file.
import type { IDatabaseAdapter } from '../../node_modules/@elizaos/core/dist/types/database.d.ts';
import type { IAgentRuntime as AgentRuntimeOwn } from '../../node_modules/@elizaos/core/dist/types/runtime.d.ts';

/** IAgentRuntime extends IDatabaseAdapter; the `extends` is one of the paths NodeNext does not follow. */
type IAgentRuntime = AgentRuntimeOwn & IDatabaseAdapter;
import type { ElizaRuntime } from '../../src/plugin-host/eliza-runtime/index.ts';

export type ImplementedRuntime = Pick<
  IAgentRuntime,
  // identity, settings, services
  | 'agentId'
  | 'character'
  | 'getSetting'
  | 'getService'
  | 'getServicesByType'
  | 'hasService'
  | 'registerService'
  | 'logger'
  | 'fetch'
  | 'getConversationLength'
  // components and models
  | 'registerAction'
  | 'registerProvider'
  | 'registerEvaluator'
  | 'registerModel'
  | 'getModel'
  | 'useModel'
  | 'composeState'
  // events
  | 'emitEvent'
  | 'registerEvent'
  | 'getEvent'
  // memories
  | 'createMemory'
  | 'getMemories'
  | 'getMemoryById'
  | 'getMemoriesByIds'
  | 'getMemoriesByRoomIds'
  | 'searchMemories'
  | 'addEmbeddingToMemory'
  | 'updateMemory'
  | 'deleteMemory'
  | 'countMemories'
  // rooms, worlds, entities
  | 'getRoom'
  | 'getRooms'
  | 'getRoomsByIds'
  | 'getWorld'
  | 'getEntityById'
  | 'getEntitiesForRoom'
  | 'getParticipantsForRoom'
  | 'getRoomsForParticipant'
  | 'getRoomsForParticipants'
  | 'getAllWorlds'
  | 'getEntitiesByIds'
  | 'ensureWorldExists'
  | 'ensureRoomExists'
  | 'ensureConnection'
  | 'ensureConnections'
  | 'ensureParticipantInRoom'
  | 'addParticipant'
  | 'createEntity'
  | 'updateWorld'
  // room modes, components, tasks (empty reads; see index.ts)
  | 'getParticipantUserState'
  | 'setParticipantUserState'
  | 'getComponents'
  | 'getComponent'
  | 'getTasks'
  | 'getTasksByName'
  | 'createTask'
  // cache, audit log
  | 'getCache'
  | 'setCache'
  | 'deleteCache'
  | 'log'
>;

type Assignable<T extends ImplementedRuntime> = T;
export type RuntimeIsAssignable = Assignable<ElizaRuntime>;

// The component lists are read-only views in Chronicle (ElizaOS exposes mutable arrays; plugins only read them).
export type ListsAreReadable = [
  ElizaRuntime['actions'][number],
  ElizaRuntime['providers'][number],
  ElizaRuntime['evaluators'][number],
  ElizaRuntime['plugins'][number],
];
