import { needs } from '../permissions.ts';
import type { PluginRuntime } from '../types.ts';

/**
 * Runtime methods a sandboxed plugin reaches by name (the `runtime` request of protocol.ts). The
 * child's facade gets one async function per entry; the host checks the permission an entry names
 * (if any) for the agent of the call, then runs it against the real runtime of that call — for an
 * ElizaOS plugin, the agent's ElizaRuntime as the plugin's own view (`runtime.forPlugin(name)`).
 * This is the one place to extend when the runtime facade grows: add an entry, nothing else in the
 * protocol changes. Arguments and results must be data (they cross a process boundary; the host
 * turns results into JSON data and checks their size).
 *
 * The permission of each entry follows permissions.ts: what a method reads or appends is named by the
 * log event it stands for (memories are `memory.*` events, rooms/worlds/entities `room.*` events).
 */
export interface BridgedMethod {
  /** The permission(s) needed for these arguments; undefined when the method needs none. */
  permission?: (args: unknown[]) => string | string[] | undefined;
  call(runtime: PluginRuntime, args: unknown[], caller: BridgeCaller): unknown;
}

/** Who is calling: the plugin's name (cache keys are namespaced with it), and a way back to its functions. */
export interface BridgeCaller {
  plugin: string;
  /**
   * A function the plugin passed as an argument (it crosses as `{fn: id}`), callable from the host:
   * `key` "function" calls it with the arguments, "send" as a send handler `(runtime, target, content)`.
   */
  childFunction(ref: unknown, key: 'function' | 'send'): ((...args: unknown[]) => Promise<unknown>) | undefined;
}

/** The permissions of the bridge, one table (README "Permissions" lists it for operators). */
export const bridgePermissions = {
  memoryRead: 'events:read:memory.created',
  memoryWrite: 'events:append:memory.created',
  memoryUpdate: 'events:append:memory.updated',
  memoryDelete: 'events:append:memory.deleted',
  roomRead: 'events:read:room.*',
  roomWrite: 'events:append:room.*',
  /** composeState runs the agent's providers over the conversation: as much as reading it. */
  state: needs.recentMessages,
  messageSend: 'events:append:message.posted',
  /** A sandboxed plugin's HTTP routes answer only for agents that granted it. */
  routes: 'routes:register',
  /** ElizaOS event names → the append permission of the log event they stand for (the read side is needs.pluginEvent). */
  emit: (name: string) => needs.pluginEvent(name).replace(/^events:read:/, 'events:append:'),
} as const;

/** The ElizaOS method `name` of the call's runtime (refused by name on a runtime without it). */
function eliza(name: string, permission?: string | ((args: unknown[]) => string | string[])): BridgedMethod {
  return {
    permission: permission === undefined ? undefined : typeof permission === 'string' ? () => permission : permission,
    call(runtime, args) {
      const fn = (runtime as unknown as Record<string, unknown>)[name];
      if (typeof fn !== 'function') throw new Error(`runtime.${name} is not offered by this agent's runtime`);
      return (fn as (...a: unknown[]) => unknown).apply(runtime, args);
    },
  };
}

/** Cache keys of a sandboxed plugin live in its own namespace: the agent's other plugins cache tokens there. */
const cacheKey = (caller: BridgeCaller, key: unknown) => `sandboxed:${caller.plugin}:${String(key)}`;
const cache = (name: 'getCache' | 'setCache' | 'deleteCache'): BridgedMethod => ({
  call: (runtime, args, caller) => eliza(name).call(runtime, [cacheKey(caller, args[0]), ...args.slice(1)], caller),
});

const P = bridgePermissions;

/** Dotted names reach nested objects of the runtime (`queries.facts`). */
export const BRIDGED_METHODS: Record<string, BridgedMethod> = {
  // memories (memory.* events, projected with their vectors)
  createMemory: eliza('createMemory', P.memoryWrite),
  updateMemory: eliza('updateMemory', P.memoryUpdate),
  deleteMemory: eliza('deleteMemory', P.memoryDelete),
  getMemories: eliza('getMemories', P.memoryRead),
  getMemoryById: eliza('getMemoryById', P.memoryRead),
  getMemoriesByIds: eliza('getMemoriesByIds', P.memoryRead),
  getMemoriesByRoomIds: eliza('getMemoriesByRoomIds', P.memoryRead),
  searchMemories: eliza('searchMemories', P.memoryRead),
  countMemories: eliza('countMemories', P.memoryRead),
  // The embedding is a model call.
  addEmbeddingToMemory: eliza('addEmbeddingToMemory', needs.model),
  // rooms, worlds, entities (Chronicle's rooms, participants and accounts)
  getRoom: eliza('getRoom', P.roomRead),
  getRooms: eliza('getRooms', P.roomRead),
  getRoomsByIds: eliza('getRoomsByIds', P.roomRead),
  getRoomsForParticipant: eliza('getRoomsForParticipant', P.roomRead),
  getRoomsForParticipants: eliza('getRoomsForParticipants', P.roomRead),
  getWorld: eliza('getWorld', P.roomRead),
  getAllWorlds: eliza('getAllWorlds', P.roomRead),
  getEntityById: eliza('getEntityById', P.roomRead),
  getEntitiesByIds: eliza('getEntitiesByIds', P.roomRead),
  getEntitiesForRoom: eliza('getEntitiesForRoom', P.roomRead),
  getParticipantsForRoom: eliza('getParticipantsForRoom', P.roomRead),
  ensureWorldExists: eliza('ensureWorldExists', P.roomWrite),
  updateWorld: eliza('updateWorld', P.roomWrite),
  ensureRoomExists: eliza('ensureRoomExists', P.roomWrite),
  ensureConnection: eliza('ensureConnection', P.roomWrite),
  ensureConnections: eliza('ensureConnections', P.roomWrite),
  ensureParticipantInRoom: eliza('ensureParticipantInRoom', P.roomWrite),
  addParticipant: eliza('addParticipant', P.roomWrite),
  createEntity: eliza('createEntity', P.roomWrite),
  getParticipantUserState: eliza('getParticipantUserState', P.roomRead),
  setParticipantUserState: eliza('setParticipantUserState', needs.roomMode),
  // state, events, messages
  composeState: eliza('composeState', P.state),
  emitEvent: {
    permission: (args) => (Array.isArray(args[0]) ? args[0] : [args[0]]).map((n) => P.emit(String(n))),
    // The payload's live parts are the host's to give (each handler gets its own plugin's runtime): a
    // sandboxed plugin cannot hand other plugins' handlers a "runtime" or "callback" of its making.
    call: (runtime, [event, params], caller) => {
      const { runtime: _r, callback: _c, onComplete: _o, ...data } = (params && typeof params === 'object' ? params : {}) as Record<string, unknown>;
      return eliza('emitEvent').call(runtime, [event, data], caller);
    },
  },
  sendMessageToTarget: eliza('sendMessageToTarget', P.messageSend),
  // connectors (src/actors/connectors.ts): an outside message in, the agent's messages out
  'messageService.handleMessage': {
    permission: () => P.messageSend,
    call: (runtime, [message, callback], caller) => {
      const service = (runtime as { messageService?: { handleMessage?: (...a: unknown[]) => unknown } }).messageService;
      if (typeof service?.handleMessage !== 'function') throw new Error("runtime.messageService is not offered by this agent's runtime");
      return service.handleMessage(runtime, message, caller.childFunction(callback, 'function'));
    },
  },
  registerSendHandler: {
    // The handler receives the agent's messages.
    permission: () => needs.recentMessages,
    call: (runtime, [source, handler], caller) => {
      const send = caller.childFunction(handler, 'send');
      if (!send) throw new TypeError('registerSendHandler(source, handler) needs a function');
      return eliza('registerSendHandler').call(runtime, [source, (_rt: unknown, target: unknown, content: unknown) => send(target, content)], caller);
    },
  },
  // the plugin's own ephemeral cache
  getCache: cache('getCache'),
  setCache: cache('setCache'),
  deleteCache: cache('deleteCache'),
  // what Chronicle answers empty (components, tasks) or keeps as a debug line (log): nothing to guard
  getComponents: eliza('getComponents'),
  getComponent: eliza('getComponent'),
  getTasks: eliza('getTasks'),
  getTasksByName: eliza('getTasksByName'),
  createTask: eliza('createTask'),
  log: eliza('log'),
};

/** Looks up and runs a bridged method; unknown names are refused by name. */
export function bridgedMethod(name: string): BridgedMethod {
  const method = Object.prototype.hasOwnProperty.call(BRIDGED_METHODS, name) ? BRIDGED_METHODS[name] : undefined;
  if (!method) throw new Error(`runtime.${name} is not available to sandboxed plugins`);
  return method;
}
