import type { AnyRecordedEvent, NewEvent } from '../events/envelope.ts';
import { LogFollower } from '../events/follower.ts';
import type { EventStore } from '../events/store.ts';
import { derivedId } from '../shared/ids.ts';
import { silentLogger, type Logger } from '../shared/logger.ts';
import type { Embedder } from './embedder.ts';
import { QuantizedVector } from '../events/quantized-vector.ts';
import { withBatching } from '../models/embedder.ts';
import type { ModelCallRecord } from '../models/provider.ts';
import { streams } from '../domain/streams.ts';

export interface MessageEmbeddingOptions {
  store: EventStore;
  embedder: Embedder;
  logger?: Logger;
  /** Messages per embedding call (default 32). */
  batchSize?: number;
  /** First retry delay after a failed embed call, doubled per attempt (default 1,000 ms). */
  retryDelayMs?: number;
  /** Attempts per message before giving up until the next start (default 5). */
  maxAttempts?: number;
}

export interface MessageEmbedding {
  stop(): Promise<void>;
  /** Resolves when every message seen so far has been embedded (or given up on after its retries). */
  idle(): Promise<void>;
}

type Posted = AnyRecordedEvent & { type: 'message.posted' };

export const embeddedEventId = (messageId: string): string => derivedId('embed', messageId);

/** model.called for the provider attempts of one batch: at most one per attempt, whatever its size. */
const embeddingCallEvents = (records: ModelCallRecord[], batchKey: string): NewEvent<'model.called'>[] =>
  records.map((r, i) => ({
    id: derivedId('embed-call', batchKey, String(i)),
    type: 'model.called',
    data: {
      provider: r.provider,
      model: r.model,
      kind: 'embedding',
      ok: r.ok,
      ...(r.usage ? { usage: r.usage } : {}),
      latencyMs: Math.round(r.latencyMs),
      ...(r.error ? { error: `${r.error.code}: ${r.error.message}`.slice(0, 500) } : {}),
    },
    meta: { author: { kind: 'system', id: 'message-embedder' } },
  }));

/**
 * Embeds every `message.posted` once and records the vector as `message.embedded` (deterministic id,
 * so a restart or a second embedder can never record it twice). It asks the one batching point
 * (src/models/embedder.ts) as a background caller: identical texts cost one embed (its cache), and
 * its requests wait a moment for company. The provider attempts a batch cost are appended as
 * `model.called` with the batch's first room's vectors — one per attempt, not one per message. On
 * start it finds the messages of the log that have no vector yet, then follows the log live.
 */
export function startMessageEmbedding(opts: MessageEmbeddingOptions): MessageEmbedding {
  const { store } = opts;
  const embedder = withBatching(opts.embedder);
  const logger = opts.logger ?? silentLogger;
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const retryDelayMs = opts.retryDelayMs ?? 1000;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const queue: Posted[] = [];
  const attempts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  async function embedBatch(batch: Posted[]): Promise<void> {
    const records: ModelCallRecord[] = [];
    const texts = batch.map((e) => e.data.text);
    let vectors: Float32Array[];
    try {
      vectors = await embedder.embed(texts, { signal: abort.signal, background: true, record: (r) => void records.push(r) });
    } catch (err) {
      // The failed attempts are still calls that were made: recorded with the batch's first message.
      if (records.length > 0 && !stopped)
        await store
          .append(streams.room(batch[0].data.roomId), embeddingCallEvents(records, `${batch[0].id}/failed/${attempts.get(batch[0].data.messageId) ?? 0}`))
          .catch(() => {});
      throw err;
    }
    // One append per room stream, in log order; the batch's model.called go with the first.
    const byRoom = new Map<string, NewEvent[]>();
    byRoom.set(batch[0].data.roomId, embeddingCallEvents(records, batch[0].id));
    for (const [i, e] of batch.entries()) {
      const vector = vectors[i];
      const list = byRoom.get(e.data.roomId) ?? [];
      list.push({
        id: embeddedEventId(e.data.messageId),
        type: 'message.embedded',
        data: { messageId: e.data.messageId, roomId: e.data.roomId, model: embedder.model, vector: QuantizedVector.quantize(new Float32Array(vector)) },
        meta: {
          causationId: e.id,
          ...(e.meta.correlationId ? { correlationId: e.meta.correlationId } : {}),
          author: { kind: 'system', id: 'message-embedder' },
        },
      });
      byRoom.set(e.data.roomId, list);
    }
    // Trusted: built here from the posted message's own (validated) ids, the model layer's records and a
    // quantized vector (QuantizedVector.quantize refuses a vector the log would refuse).
    for (const [roomId, events] of byRoom) if (events.length > 0) await store.append(streams.room(roomId), events, { trusted: true });
  }

  async function pump(): Promise<void> {
    while (queue.length > 0 && !stopped) {
      const batch = queue.splice(0, batchSize);
      try {
        await embedBatch(batch);
        for (const e of batch) attempts.delete(e.data.messageId);
      } catch (err) {
        if (stopped) return;
        retryLater(batch, err);
      }
    }
  }

  /**
   * A failed batch is retried with exponential backoff; after `maxAttempts` the message is left without
   * a vector until the next start (which finds it again: it has no message.embedded).
   */
  function retryLater(batch: Posted[], err: unknown): void {
    const again: Posted[] = [];
    for (const e of batch) {
      const n = (attempts.get(e.data.messageId) ?? 0) + 1;
      if (n >= maxAttempts) attempts.delete(e.data.messageId);
      else {
        attempts.set(e.data.messageId, n);
        again.push(e);
      }
    }
    const attempt = Math.max(0, ...again.map((e) => attempts.get(e.data.messageId) ?? 0));
    logger.warn('message embedding failed', {
      messages: batch.length,
      retrying: again.length,
      error: err instanceof Error ? err.message : String(err),
    });
    if (again.length === 0) return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (stopped) return;
        queue.push(...again);
        kick();
      },
      retryDelayMs * 2 ** (attempt - 1),
    );
    timers.add(timer);
  }

  function kick(): void {
    if (running || stopped) return;
    running = pump().finally(() => {
      running = undefined;
      if (queue.length > 0 && !stopped) kick();
      else if (timers.size === 0) for (const w of idleWaiters.splice(0)) w();
    });
  }

  // Catch-up: messages of the log without a vector yet (a type-filtered scan); then each new message.
  const pending = new Map<string, Posted>();
  const follower = new LogFollower(store, {
    name: 'message-embedder',
    from: 0,
    types: ['message.posted', 'message.embedded'],
    logger,
    handle: (events) => {
      for (const e of events) {
        if (!follower.live) {
          if (e.type === 'message.posted') pending.set(e.data.messageId, e);
          else if (e.type === 'message.embedded') pending.delete(e.data.messageId);
        } else if (e.type === 'message.posted') queue.push(e);
      }
      if (follower.live) kick();
    },
    onLive: () => {
      queue.push(...pending.values());
      pending.clear();
      kick();
    },
  });
  const starting = follower.start().catch((err: unknown) => {
    if (!stopped) logger.error('message embedding could not start', { error: String(err) });
  });

  return {
    async idle() {
      await starting;
      // Let live events already appended reach the subscription before judging idleness.
      await new Promise((r) => setImmediate(r));
      if (!running && queue.length === 0 && timers.size === 0) return;
      await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      follower.stop();
      await starting;
      abort.abort();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await running;
      for (const w of idleWaiters.splice(0)) w();
    },
  };
}
