import type { Character } from '../characters/schema.ts';
import type { GenerateTextParams, ModelType } from '../models/provider.ts';

/**
 * The ElizaOS 1.x plugin shape (shared/ELIZAOS-REFERENCE.md §4), as Chronicle runs it. Everything a
 * handler receives is plain data plus a small `runtime` facade, so that a later host can run the same
 * plugin in a worker thread and proxy the facade over a message port without changing this shape.
 */

/** A message as plugins see it (ElizaOS `Memory`, reduced to what Chronicle has). */
export interface Memory {
  id: string;
  entityId: string;
  agentId: string;
  roomId: string;
  content: Content;
  createdAt?: number;
  /** Position of the message in the log (Chronicle addition). */
  seq?: number;
  /** Display name of the author (Chronicle addition). */
  entityName?: string;
}

export interface Content {
  text?: string;
  thought?: string;
  actions?: string[];
  providers?: string[];
  inReplyTo?: string;
  [key: string]: unknown;
}

/** The composed state handed to actions and evaluators (ElizaOS `State`). */
export interface State {
  values: Record<string, unknown>;
  data: Record<string, unknown>;
  text: string;
}

export interface ProviderResult {
  text?: string;
  values?: Record<string, unknown>;
  data?: Record<string, unknown>;
}

export interface Provider {
  name: string;
  description?: string;
  /** Runs only when the model (or an action) names it. */
  dynamic?: boolean;
  /** Lower runs (and renders) first. */
  position?: number;
  /** Runs only on explicit request. */
  private?: boolean;
  get(runtime: PluginRuntime, message: Memory, state: State): Promise<ProviderResult> | ProviderResult;
}

export interface ActionResult {
  success: boolean;
  text?: string;
  values?: Record<string, unknown>;
  data?: Record<string, unknown>;
  error?: string | Error;
}

/** How an action answers: the content becomes (part of) the agent's reply. */
export type HandlerCallback = (content: Content) => Promise<Memory[] | void> | Memory[] | void;

export interface ActionExample {
  name: string;
  content: Content;
}

export interface Action {
  name: string;
  similes?: string[];
  description: string;
  examples?: ActionExample[][];
  validate(runtime: PluginRuntime, message: Memory, state?: State): Promise<boolean> | boolean;
  handler(
    runtime: PluginRuntime,
    message: Memory,
    state: State | undefined,
    options: Record<string, unknown> | undefined,
    callback: HandlerCallback | undefined,
    responses?: Memory[],
  ): Promise<ActionResult | void | undefined | boolean> | ActionResult | void | undefined | boolean;
}

export interface Evaluator {
  name: string;
  description: string;
  similes?: string[];
  examples?: unknown[];
  /** Runs even when the agent did not respond. */
  alwaysRun?: boolean;
  validate(runtime: PluginRuntime, message: Memory, state?: State): Promise<boolean> | boolean;
  handler(
    runtime: PluginRuntime,
    message: Memory,
    state: State | undefined,
    options?: Record<string, unknown>,
    callback?: HandlerCallback,
    responses?: Memory[],
  ): Promise<unknown> | unknown;
}

/** An instance of a running service. */
export interface ServiceInstance {
  stop(): Promise<void> | void;
  capabilityDescription?: string;
  /** Chronicle addition: a service that can fail after starting reports it here, and is restarted. */
  onError?(listener: (error: Error) => void): void;
}

/**
 * ElizaOS `typeof Service`: a class with static `serviceType` and `start(runtime)`. Chronicle adds an
 * optional static `dependencies` (service types that must be running first).
 */
export interface ServiceClass {
  serviceType: string;
  dependencies?: string[];
  start(runtime: PluginRuntime): Promise<ServiceInstance> | ServiceInstance;
  stop?(runtime: PluginRuntime): Promise<void> | void;
}

export type ModelHandler = (runtime: PluginRuntime, params: Record<string, unknown>) => Promise<unknown> | unknown;

export type PluginEventHandler = (payload: Record<string, unknown>) => Promise<void> | void;

export interface Plugin {
  name: string;
  version?: string;
  description: string;
  config?: Record<string, string | number | boolean | null | undefined>;
  init?(config: Record<string, string>, runtime: PluginRuntime): Promise<void> | void;
  actions?: Action[];
  providers?: Provider[];
  evaluators?: Evaluator[];
  services?: ServiceClass[];
  /** Model handlers by model type; ranked by `priority` (higher first), then registration order. */
  models?: Partial<Record<ModelType | string, ModelHandler>>;
  priority?: number;
  /** Event handlers by event name (Chronicle names: MESSAGE_RECEIVED, RUN_STARTED, RUN_ENDED, ACTION_COMPLETED). */
  events?: Record<string, PluginEventHandler[]>;
  /** Accepted for compatibility; Chronicle's transport owns HTTP, so routes are not mounted. */
  routes?: unknown[];
  dependencies?: string[];
  /** Permissions the plugin needs (enforced by the isolated host for third-party plugins). */
  permissions?: string[];
}

/** Something the agent wants recorded as a result of a plugin's work (the plugin never writes the log). */
export type PluginEffect =
  | { kind: 'room_mode'; roomId: string; mode: 'followed' | 'unfollowed' | 'muted' | 'unmuted' }
  | { kind: 'fact'; roomId: string; text: string; sourceMessageIds: string[] };

/**
 * What a plugin handler may do. Deliberately small so it can be proxied to a worker thread: queries
 * and models are async; `getSetting` reads a snapshot of settings; `record` is fire-and-forget (the
 * agent turns each effect into an event with a deterministic id — plugins never write the log).
 * `getService` returns in-process service instances; an isolated host would proxy its methods.
 */
export interface PluginRuntime {
  readonly agentId: string;
  readonly character: Character;
  /** ElizaOS lookup order: character.secrets → character.settings[key] → settings.secrets → plugin config. */
  getSetting(key: string): string | number | boolean | null | undefined;
  useModel(type: ModelType, params: Partial<GenerateTextParams> & { prompt?: string }): Promise<string>;
  /** ElizaOS answers null for a service that is not running; Chronicle's own code may answer undefined. */
  getService<T = ServiceInstance>(serviceType: string): T | null | undefined;
  // ── services and connectors of the agent (ElizaOS 1.7 names; present on agents' runtimes) ──
  getServicesByType?<T = ServiceInstance>(serviceType: string): T[];
  getAllServices?(): Map<string, ServiceInstance[]>;
  hasService?(serviceType: string): boolean;
  getServiceLoadPromise?(serviceType: string): Promise<ServiceInstance>;
  /** A connector's outbound path: agent messages in its rooms reach the handler, read from the log. */
  registerSendHandler?(source: string, handler: (runtime: PluginRuntime, target: ConnectorTarget, content: Content) => Promise<void> | void): void;
  sendMessageToTarget?(target: ConnectorTarget, content: Content): Promise<void>;
  /** A connector's inbound path: the outside message becomes events; resolves with the agent's reply. */
  messageService?: {
    handleMessage(
      runtime: PluginRuntime,
      message: Memory,
      callback?: HandlerCallback,
    ): Promise<{ didRespond: boolean; responseContent: Content | null; responseMessages: Memory[] }>;
  };
  /** Read-only queries for providers (recent messages, knowledge, facts). */
  readonly queries: PluginQueries;
  record(effect: PluginEffect): void;
}

/** ElizaOS TargetInfo: where a connector delivers a message. */
export interface ConnectorTarget {
  source: string;
  roomId?: string;
  channelId?: string;
  serverId?: string;
  entityId?: string;
  threadId?: string;
}

/**
 * Read-only queries. Async on purpose even though the local read model is synchronous: a plugin run
 * in a worker thread reaches them over a message port.
 */
export interface PluginQueries {
  recentMessages(
    roomId: string,
    limit: number,
    beforeSeq?: number,
  ): Promise<{ id: string; authorId: string; authorKind: 'user' | 'agent'; authorName: string; text: string; seq: number }[]>;
  knowledge(text: string, k: number): Promise<{ chunkId: string; documentId: string; title: string; text: string; score: number }[]>;
  facts(roomId: string | undefined, text: string | undefined, limit: number): Promise<{ id: string; text: string }[]>;
}
