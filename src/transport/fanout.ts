import type { AnyRecordedEvent, RecordedEvent } from '../events/envelope.ts';
import { LogFollower } from '../events/follower.ts';
import type { EventStore } from '../events/store.ts';
export { messageFromEvent } from '../app/commands/messages.ts';

export type PostedEvent = RecordedEvent<'message.posted'>;
export type TracedEvent = RecordedEvent<'reply.traced'>;
/** What a turn answering a message commits that its caller hears of: the agent's reply and its trace. */
export type TurnEvent = PostedEvent | TracedEvent;

type Listener = (e: AnyRecordedEvent) => void;

/**
 * One LogFollower of the log shared by every socket and waiter of this server: per-room
 * listeners for messages, listeners for all events (metrics), and one-shot waiters for the reply to a
 * given message (the OpenAI endpoint). Starts at the log head when the server starts; what came
 * earlier is read from the read model (replay by afterSeq, see WsHub.replayStep).
 */
export class LogFanout {
  private readonly rooms = new Map<string, Set<(e: PostedEvent) => void>>();
  private readonly all = new Set<Listener>();
  private readonly replyWaiters = new Map<string, Set<(e: TurnEvent) => void>>();
  private readonly postWatchers = new Map<string, Set<(e: PostedEvent) => void>>();
  private readonly follower: LogFollower;

  constructor(
    store: EventStore,
    startSeq: number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.follower = new LogFollower(store, {
      name: 'transport-fanout',
      from: startSeq,
      handle: (events) => {
        for (const e of events) this.dispatch(e);
      },
      // A failed subscription resumes from lastSeq by itself; the server only logs it.
      logger: { warn: () => undefined, error: (_msg, fields) => this.onError(fields?.error) },
    });
  }

  /** Seq of the last event dispatched to listeners. */
  get lastSeq(): number {
    return this.follower.position;
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  /** Resolves once every listener has heard of `seq`. */
  waitFor(seq: number): Promise<void> {
    return this.follower.waitFor(seq);
  }

  stop(): void {
    this.follower.stop();
  }

  /**
   * Runs inside the store's commit notification: a throwing listener must neither break the store's
   * flush nor starve the other listeners, so each call is isolated.
   */
  private dispatch(e: AnyRecordedEvent): void {
    for (const l of this.all) this.safely(l, e);
    if (e.type === 'reply.traced') {
      for (const w of this.replyWaiters.get(e.data.messageId) ?? []) this.safely(w, e);
      return;
    }
    if (e.type !== 'message.posted') return;
    if (this.postWatchers.size > 0) {
      const keys = [postKey({ messageId: e.data.messageId })];
      if (e.data.clientMessageId !== undefined) keys.push(postKey({ authorId: e.data.authorId, clientMessageId: e.data.clientMessageId }));
      for (const key of keys) for (const w of this.postWatchers.get(key) ?? []) this.safely(w, e);
    }
    const listeners = this.rooms.get(e.data.roomId);
    if (listeners) for (const l of listeners) this.safely(l, e);
    if (e.data.inReplyTo !== undefined && e.data.authorKind === 'agent') {
      const waiters = this.replyWaiters.get(e.data.inReplyTo);
      if (waiters) for (const w of waiters) this.safely(w, e);
    }
  }

  private safely<E>(listener: (e: E) => void, e: E): void {
    try {
      listener(e);
    } catch (err) {
      this.onError(err);
    }
  }

  onAny(listener: Listener): () => void {
    this.all.add(listener);
    return () => this.all.delete(listener);
  }

  watchRoom(roomId: string, listener: (e: PostedEvent) => void): () => void {
    let set = this.rooms.get(roomId);
    if (!set) this.rooms.set(roomId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.rooms.delete(roomId);
    };
  }

  /**
   * Calls `listener` when the given message is posted — by its id, or by its author's clientMessageId
   * — before the room's listeners hear of it. The WebSocket sends its ack from here: at that moment
   * no reply to the message can exist yet, so the ack goes out before any.
   */
  watchPost(which: PostKey, listener: (e: PostedEvent) => void): () => void {
    const key = postKey(which);
    let set = this.postWatchers.get(key);
    if (!set) this.postWatchers.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.postWatchers.delete(key);
    };
  }

  /**
   * Calls `listener` for each agent reply to `messageId` and each trace of a turn answering it
   * (register before posting the message). A turn commits its reply and trace in one append, which
   * the log hands out in one synchronous run: by the time a promise settled on the reply resumes, the
   * trace of the same append has been heard too.
   */
  watchReplies(messageId: string, listener: (e: TurnEvent) => void): () => void {
    let set = this.replyWaiters.get(messageId);
    if (!set) this.replyWaiters.set(messageId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.replyWaiters.delete(messageId);
    };
  }
}

type PostKey = { messageId: string } | { authorId: string; clientMessageId: string };
const postKey = (k: PostKey): string => ('messageId' in k ? `id\u0000${k.messageId}` : `client\u0000${k.authorId}\u0000${k.clientMessageId}`);
