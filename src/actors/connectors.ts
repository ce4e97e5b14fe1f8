import type { NewEvent } from '../events/envelope.ts';
import { LogFollower } from '../events/follower.ts';
import type { EventStore } from '../events/store.ts';
import { untrustedStore, type UntrustedEventStore } from '../plugin-host/untrusted-store.ts';
import type { ConnectorTarget, Content, HandlerCallback, Memory, PluginRuntime } from '../plugin-host/types.ts';
import type { ReadModel } from '../projections/read-model.ts';
import { derivedId, newId } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import { streams } from '../domain/streams.ts';

/**
 * Connectors (ElizaOS client plugins: Discord, Telegram, …) talking through the log. A connector's
 * service hands an outside message to `runtime.messageService.handleMessage(runtime, memory, callback)`;
 * it becomes ordinary events — the room (created once per outside channel), the outside author as a
 * participant, and `message.posted` — so the agent answers it like any other message. The agent's
 * reply is read back from the log and handed to the callback given with the message, else to the send
 * handler the connector registered for its source (`runtime.registerSendHandler`). Messages the agent
 * sends on its own (`runtime.sendMessageToTarget`) are appended to the linked room too and reach the
 * send handler the same way: nothing goes to a connector except what the log says the agent said.
 *
 * Outside authors are participants of kind 'user' whose id is derived from (source, outside entity
 * id): the same person is the same participant every time, and no account can log in as them.
 */

/** ElizaOS TargetInfo / SendHandlerFunction, as connectors use them. */
export type TargetInfo = ConnectorTarget;
export type SendHandler = (runtime: PluginRuntime, target: TargetInfo, content: Content) => Promise<void> | void;

/** ElizaOS MessageProcessingResult, reduced to what Chronicle knows. */
export interface MessageProcessingResult {
  didRespond: boolean;
  responseContent: Content | null;
  responseMessages: Memory[];
  mode: 'simple' | 'none';
  /** Chronicle addition: where the message went. */
  roomId: string;
  messageId: string;
}

export interface ConnectorDeps {
  agentId: string;
  store: EventStore;
  readModel: ReadModel;
  logger: Logger;
  runtime(): PluginRuntime;
  /** How long handleMessage waits for the agent's reply (default 120 s). */
  replyTimeoutMs?: number;
}

interface Link {
  source: string;
  target: TargetInfo;
}

interface Pending {
  callback?: HandlerCallback;
  resolve(result: { content: Content | null; reply?: Memory }): void;
}

export class ConnectorBridge {
  private readonly sendHandlers = new Map<string, SendHandler>();
  /** Chronicle room id → the outside channel it stands for. */
  private readonly links = new Map<string, Link>();
  private readonly pending = new Map<string, Pending>();
  private readonly delivered = new Set<string>();
  private follower?: LogFollower;
  private following?: Promise<void>;
  private stopped = false;

  constructor(deps: ConnectorDeps) {
    // What a connector appends comes from a plugin (the outside message, its names): validated in full.
    this.deps = { ...deps, store: untrustedStore(deps.store) };
  }

  private readonly deps: ConnectorDeps & { store: UntrustedEventStore };

  registerSendHandler(source: string, handler: SendHandler): void {
    if (typeof source !== 'string' || !source || typeof handler !== 'function')
      throw new TypeError('registerSendHandler(source, handler) needs a source name and a function');
    this.sendHandlers.set(source, handler);
    void this.follow();
  }

  /** ElizaOS messageService.handleMessage: the outside message enters the log; resolves with the agent's reply. */
  async handleMessage(message: Memory, callback?: HandlerCallback): Promise<MessageProcessingResult> {
    const text = typeof message?.content?.text === 'string' ? message.content.text : '';
    if (!text.trim()) throw new TypeError('handleMessage: message.content.text must be a non-empty string');
    const source = typeof message.content.source === 'string' && message.content.source ? message.content.source : 'connector';
    const outsideRoom = String(message.roomId ?? message.content.channelId ?? 'default');
    await this.follow();
    const { roomId, events } = this.roomEvents(source, outsideRoom, {
      source,
      roomId: outsideRoom,
      channelId: str(message.content.channelId),
      serverId: str(message.content.serverId),
    });
    const { agentId } = this.deps;
    const authorId = derivedId('external-participant', source, String(message.entityId ?? 'unknown'));
    const authorName =
      str((message as { metadata?: { entityName?: string } }).metadata?.entityName) ??
      str(message.entityName) ??
      str(message.content.userName) ??
      str(message.content.name) ??
      `${source} user`;
    if (!this.isParticipant(roomId, authorId)) events.push(joined(roomId, authorId, 'user', authorName));
    const messageId = derivedId('connector-message', agentId, source, String(message.id ?? newId()));
    events.push({
      id: messageId,
      type: 'message.posted',
      data: { messageId, roomId, authorId, authorKind: 'user', text },
      meta: { author: { kind: 'user', id: authorId }, correlationId: messageId },
    });
    const reply = new Promise<{ content: Content | null; reply?: Memory }>((resolve) => this.pending.set(messageId, { callback, resolve }));
    const timeout = setTimeout(() => this.settle(messageId, { content: null }), this.deps.replyTimeoutMs ?? 120_000);
    try {
      await this.deps.store.append(streams.room(roomId), events);
    } catch (err) {
      clearTimeout(timeout);
      this.pending.delete(messageId);
      throw err;
    }
    const outcome = await reply;
    clearTimeout(timeout);
    return {
      didRespond: !!outcome.content,
      responseContent: outcome.content,
      responseMessages: outcome.reply ? [outcome.reply] : [],
      mode: outcome.content ? 'simple' : 'none',
      roomId,
      messageId,
    };
  }

  /** ElizaOS sendMessageToTarget: the agent says something in the linked room; the send handler gets it from the log. */
  async sendMessageToTarget(target: TargetInfo, content: Content): Promise<void> {
    if (!target?.source || typeof content?.text !== 'string' || !content.text.trim())
      throw new TypeError('sendMessageToTarget(target, content) needs target.source and content.text');
    await this.follow();
    const outsideRoom = String(target.roomId ?? target.channelId ?? target.entityId ?? 'default');
    const { roomId, events } = this.roomEvents(target.source, outsideRoom, target);
    const messageId = newId();
    events.push({
      id: messageId,
      type: 'message.posted',
      data: { messageId, roomId, authorId: this.deps.agentId, authorKind: 'agent', text: content.text },
      meta: { author: { kind: 'agent', id: this.deps.agentId } },
    });
    await this.deps.store.append(streams.room(roomId), events);
  }

  stop(): void {
    this.stopped = true;
    this.follower?.stop();
    for (const id of [...this.pending.keys()]) this.settle(id, { content: null });
  }

  /** The Chronicle room of an outside channel, and the events that create it and seat the agent, if missing. */
  private roomEvents(source: string, outsideRoom: string, target: TargetInfo): { roomId: string; events: NewEvent[] } {
    const { agentId, readModel } = this.deps;
    // A connector may name a Chronicle room directly (its id): the agent must already be in it.
    const existing = readModel.roomById(outsideRoom);
    const roomId = existing && existing.participants.some((p) => p.id === agentId) ? outsideRoom : derivedId('connector-room', agentId, source, outsideRoom);
    this.links.set(roomId, { source, target: { ...target, source, roomId: outsideRoom } });
    const events: NewEvent[] = [];
    if (!readModel.roomById(roomId))
      events.push({
        id: derivedId('connector-room-created', roomId),
        type: 'room.created',
        data: { roomId, name: `${source}: ${outsideRoom}`.slice(0, 200), createdBy: agentId },
        meta: { author: { kind: 'agent', id: agentId } },
      });
    if (!this.isParticipant(roomId, agentId)) events.push(joined(roomId, agentId, 'agent', readModel.agentById(agentId)?.name ?? 'agent'));
    return { roomId, events };
  }

  private isParticipant(roomId: string, id: string): boolean {
    return !!this.deps.readModel.roomById(roomId)?.participants.some((p) => p.id === id);
  }

  /** One LogFollower per agent, from the head when the first connector appears. */
  private follow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.follower ??= new LogFollower(this.deps.store, {
      name: `connectors-${this.deps.agentId}`,
      from: 'head',
      logger: this.deps.logger,
      handle: (events) => {
        for (const e of events) {
          if (e.type === 'message.posted' && e.data.authorKind === 'agent' && e.data.authorId === this.deps.agentId)
            this.onAgentMessage(e.data, e.meta.timestamp);
          else if (e.type === 'reply.decided' && e.data.agentId === this.deps.agentId && !e.data.respond) this.settle(e.data.messageId, { content: null });
        }
      },
    });
    return (this.following ??= this.follower.start().catch(() => undefined)); // rejected only when stopped first
  }

  private onAgentMessage(m: { messageId: string; roomId: string; text: string; inReplyTo?: string }, timestamp: string | number): void {
    const link = this.links.get(m.roomId);
    if (!link || this.delivered.has(m.messageId)) return;
    this.delivered.add(m.messageId);
    if (this.delivered.size > 10_000) this.delivered.delete(this.delivered.values().next().value!);
    const content: Content = { text: m.text, source: link.source, ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}) };
    const reply: Memory = {
      id: m.messageId,
      entityId: this.deps.agentId,
      agentId: this.deps.agentId,
      roomId: m.roomId,
      content,
      createdAt: new Date(timestamp).getTime(),
    };
    const pending = m.inReplyTo ? this.pending.get(m.inReplyTo) : undefined;
    const deliver = async () => {
      if (pending?.callback) await pending.callback(content);
      else {
        const handler = this.sendHandlers.get(link.source);
        if (!handler)
          return this.deps.logger.warn('agent message for a connector with no send handler; not delivered', {
            agentId: this.deps.agentId,
            source: link.source,
            messageId: m.messageId,
          });
        await handler(this.deps.runtime(), link.target, content);
      }
    };
    deliver()
      .catch((err) =>
        this.deps.logger.warn('connector could not deliver the agent message', {
          agentId: this.deps.agentId,
          source: link.source,
          messageId: m.messageId,
          error: String(err),
        }),
      )
      .finally(() => m.inReplyTo && this.settle(m.inReplyTo, { content, reply }));
  }

  private settle(messageId: string, result: { content: Content | null; reply?: Memory }): void {
    const p = this.pending.get(messageId);
    if (!p) return;
    this.pending.delete(messageId);
    p.resolve(result);
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

const joined = (roomId: string, participantId: string, kind: 'user' | 'agent', name: string): NewEvent => ({
  id: derivedId('connector-joined', roomId, participantId),
  type: 'room.participant_joined',
  data: { roomId, participantId, kind, name: name.slice(0, 200) },
  meta: { author: { kind: 'system', id: 'connector' } },
});
