import type { Character } from '../../characters/schema.ts';
import type { NewEvent } from '../../events/envelope.ts';
import type { Embedder } from '../../models/embedder.ts';
import type { ModelCallRecord, ModelProvider } from '../../models/provider.ts';
import type { ElizaRuntime, PluginFailure } from '../../plugin-host/eliza-runtime/index.ts';
import type { PluginHost } from '../../plugin-host/host.ts';
import type { Memory, PluginEffect } from '../../plugin-host/types.ts';
import { streams } from '../../domain/streams.ts';
import { turnIds } from './turn-ids.ts';
import type { CallerRequest } from './caller-request.ts';
import { TurnAbortedError } from './model-call.ts';
import type { TurnDeps } from './turn-deps.ts';
import type { TurnInput } from './turn-input.ts';

/** The message being answered, as its event carried it (the agent's mailbox entry). */
export interface TurnMessage {
  id: string;
  seq: number;
  text: string;
  authorId: string;
  authorKind: 'user' | 'agent';
  inReplyTo?: string;
}

/**
 * What retrieval found for this turn, set once the agent decided to answer: whether it has documents
 * at all (no documents: no knowledge search) and the message's embedding (absent: text search only).
 */
export interface Retrieval {
  hasKnowledge: boolean;
  vector?: Float32Array;
}

/** One turn's state, shared by its stages (decide, retrieve, generate, act, outcome events). */
export interface Turn {
  deps: TurnDeps;
  input: TurnInput;
  signal: AbortSignal;
  agentId: string;
  roomId: string;
  messageId: string;
  replyId: string;
  message: TurnMessage;
  /** Causation and correlation of every event the turn writes: the message. */
  meta: NonNullable<NewEvent['meta']>;
  now: () => number;
  started: number;
  /** Every model call attempt of the turn, whoever made it (each becomes a model.called event). */
  calls: ModelCallRecord[];
  /** What plugins asked for (room modes, facts), written to the agent's stream. */
  effects: PluginEffect[];
  pluginFailures: PluginFailure[];
  /** Appends to the room's stream (trusted: built by the turn), with the turn's meta; refuses once the turn is aborted. */
  appendRoom(events: NewEvent[]): Promise<void>;
  /** Resolves when the indexes have folded the log up to the message (retrieval reads from there). */
  indexesAtMessage(): Promise<void>;
}

/** A turn past its mailbox disposition: the agent's plugins, model and runtime are at hand. */
export interface AgentTurn extends Turn {
  character: Character;
  host: PluginHost;
  /** The turn's model: the one model-call layer with the turn's signal, deadline and recorder. */
  provider: ModelProvider;
  /** The embedder with the turn's signal and recorder. */
  embedder(): Embedder;
  runtime: ElizaRuntime;
  retrieval: Retrieval;
  memory: Memory;
  senderName: string;
  request?: CallerRequest;
}

export function startTurn(deps: TurnDeps, input: TurnInput, signal: AbortSignal): Turn {
  const { pending } = input;
  const { agentId } = input.agent;
  const { messageId, roomId } = pending;
  const now = deps.now ?? (() => performance.now());
  const meta = { author: { kind: 'agent' as const, id: agentId }, causationId: messageId, correlationId: messageId };
  // Retrieval (recent messages, documents, facts) reads the indexes as of the message's position at least.
  let indexed: Promise<void> | undefined;
  return {
    deps,
    input,
    signal,
    agentId,
    roomId,
    messageId,
    replyId: turnIds.reply(agentId, messageId),
    // The message as its event carried it (the mailbox entry): nothing is read back from the projections.
    message: { id: messageId, seq: pending.seq, text: pending.text, authorId: pending.authorId, authorKind: pending.authorKind, inReplyTo: pending.inReplyTo },
    meta,
    now,
    started: now(),
    calls: [],
    effects: [],
    pluginFailures: [],
    async appendRoom(events) {
      if (signal.aborted) throw new TurnAbortedError('aborted');
      // Trusted: every room event of a turn is built here from typed values, and what plugins hand back
      // (action names and results, callback text, provider data) is coerced on the way in (act.ts,
      // outcome-events.ts). Plugin effects go to the agent's stream validated (appendAgentEffects).
      await deps.store.append(
        streams.room(roomId),
        events.map((e) => ({ ...e, meta: { ...meta, ...e.meta } })),
        { trusted: true },
      );
    },
    indexesAtMessage: () => (indexed ??= deps.waitFor(pending.seq)),
  };
}
