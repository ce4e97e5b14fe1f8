import type { Observable } from 'rxjs';
import type { Settings } from '../settings/settings.ts';
import type { Character } from '../characters/schema.ts';
import type { AppendClaim } from '../events/envelope.ts';
import type { EventStore } from '../events/store.ts';
import type { ModelProvider } from '../models/provider.ts';
import type { ShippedPlugins } from '../plugin-host/loader.ts';
import type { Plugin } from '../plugin-host/types.ts';
import type { ReadModel } from '../projections/read-model.ts';
import type { Logger } from '../shared/logger.ts';
import type { SecretBox } from '../shared/secrets.ts';
import type { TurnInput } from './turn/turn-input.ts';

import type { Embedder } from '../models/embedder.ts';
export type { Embedder } from '../models/embedder.ts';

export interface ModelSource {
  forCharacter(character?: Character): ModelProvider;
  embedder(): Embedder;
}

/** Knobs of the actor system; every one has a default (see DEFAULT_ACTOR_SETTINGS). */
export interface ActorSettings {
  /** Per model attempt. */
  modelTimeoutMs: number;
  /** Model attempts per turn (1 = no retry). */
  modelAttempts: number;
  retryBaseMs: number;
  /** Agents answer agents only up to this reply depth (user message = 0). */
  maxAgentDepth: number;
  recentMessages: number;
  knowledgeK: number;
  factsK: number;
  /** Supervision backoff: base * 2^failures, capped. */
  restartBaseMs: number;
  restartMaxMs: number;
  /** Snapshots are written this long after the last change (and on stop); never while idle. */
  snapshotDelayMs: number;
  /** Directory of trusted local plugins (plugins/). */
  pluginsDir?: string;
  /** Installed packages run instead of Chronicle's stand-ins (PLUGINS_PREFER_INSTALLED). */
  pluginsPreferInstalled?: string[];
}

export interface ActorSystemDeps {
  store: EventStore;
  readModel: ReadModel;
  waitFor(seq: number): Promise<void>;
  models: ModelSource;
  /**
   * Chronicle's bootstrap plugin (plugins/bootstrap: the core actions, providers and reflection), handed
   * in by the composition root — the core imports no plugin. Every agent has it unless a plugin of its
   * name replaces it (a real @elizaos/plugin-bootstrap given in `plugins`, or one the operator prefers).
   */
  bootstrap: Plugin;
  /** The plugins of plugins/ by folder name, imported through the program's module graph (see ShippedPlugins). */
  shippedPlugins?: ShippedPlugins;
  /** Plugins every agent gets besides the bootstrap (tests, embedders of Chronicle). */
  plugins?: Plugin[];
  secrets: SecretBox;
  logger?: Logger;
  settings?: Partial<Settings> & Partial<ActorSettings>;
  /** Told of every turn launched, with what it was handed and the log position it was launched at (tests, tracing). */
  onTurnLaunched?(input: TurnInput, atSeq: number): void;
  /** In a cluster (src/cluster): which actors' effects this node runs. Absent: all of them (one node). */
  ownership?: Ownership;
}

/**
 * Every node folds the whole log into every actor; only the owner of an agent runs its turns and
 * plugin services, and appends what they decide under its claim (fenced in the store).
 */
export interface Ownership {
  owns(actorId: string): boolean;
  /** The claim to append under for an owned actor; undefined when not owned (any more). */
  claim(actorId: string): AppendClaim | undefined;
  /** Ownership may have moved (a node joined or left, this node lost or regained its lease). */
  onChange(listener: () => void): () => void;
  /** This node's name, shown in the actor graph. */
  readonly nodeId: string;
  ownerOf(actorId: string): string | undefined;
}

export interface ActorNode {
  id: string;
  kind: 'system' | 'agent' | 'room' | 'service';
  state: string;
  /** The XState state value as it is ("running", {active: "idle"}), for the statechart view. */
  value?: unknown;
  /** The agent's or room's name. */
  name?: string;
  /** An agent's mailbox depth: messages in hand, queued or being refused. */
  mailbox?: number;
  /** A room's participants: the membership edges of the graph. */
  participants?: { id: string; kind: 'user' | 'agent'; name: string }[];
  /** The cluster node that owns the actor, where there is a cluster (the cluster fills it). */
  owner?: string;
  parent?: string;
  children: string[];
}

export type EphemeralEvent =
  | { type: 'reply.delta'; roomId: string; agentId: string; replyTo: string; delta: string }
  | { type: 'typing'; roomId: string; agentId: string };

export interface ActorSystem {
  /** Restores every actor from snapshot + log tail, resumes accepted-but-unanswered messages, then follows the log. */
  start(): Promise<void>;
  /** Stops cleanly: in-flight turns are abandoned (they resume after restart), services stop in reverse order. */
  stop(): Promise<void>;
  graph(): ActorNode[];
  ephemeral$: Observable<EphemeralEvent>;
  /** Resolves when every event up to the log's head has been handled and no turn is in flight. */
  idle(): Promise<void>;
  /** Records a plugin's error caught at process level as plugin.failed (plugin-host/process-errors.ts). */
  recordPluginError?(owner: { plugin: string; agentId?: string }, component: string, error: string): Promise<void>;
}
