import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { embeddedEventId, startMessageEmbedding } from '../../src/knowledge/message-embedder.ts';
import { openProjections, type Projections } from '../../src/projections/index.ts';
import type { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { FakeEmbedder, fakeVector } from '../support/fake-embedder.ts';
import { memoryStore, put } from '../support/projection-fixtures.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { QuantizedVector } from '../../src/events/quantized-vector.ts';
import { BatchingEmbedder } from '../../src/models/embedder.ts';
import { ResilientProvider } from '../../src/models/resilient.ts';
import type { CallOptions, ModelProvider } from '../../src/models/provider.ts';

const post = (store: SqliteEventStore, id: string, text: string, roomId = 'r1') =>
  put(store, `room-${roomId}`, 'message.posted', { messageId: id, roomId, authorId: 'u1', authorKind: 'user', text });

describe('message embedding', () => {
  let store: SqliteEventStore;
  let p: Projections;
  beforeEach(async () => {
    store = memoryStore();
    p = openProjections({ path: ':memory:', store });
    await p.start();
  });
  afterEach(async () => {
    await p.close();
    await store.close();
  });

  it('embeds every message once (deterministic event id), identical text with one embed', async () => {
    const embedder = new FakeEmbedder(64);
    await post(store, 'm1', 'the cat sat on the mat'); // already in the log before start
    const emb = startMessageEmbedding({ store, embedder });
    await post(store, 'm2', 'dogs bark at night');
    await post(store, 'm3', 'the cat sat on the mat');
    await emb.idle();
    const all = await store.readAll({ types: ['message.embedded'] });
    expect(all.map((e) => e.id).sort()).toEqual(['m1', 'm2', 'm3'].map(embeddedEventId).sort());
    expect(embedder.textsEmbedded).toBe(2);
    await emb.stop();

    // A restart finds nothing left to embed.
    const again = new FakeEmbedder(64);
    const emb2 = startMessageEmbedding({ store, embedder: again });
    await emb2.idle();
    await emb2.stop();
    expect(again.calls).toBe(0);
    expect((await store.readAll({ types: ['message.embedded'] })).length).toBe(3);
  });

  it('keeps each vector in the log as int8 codes with a scale: read back, the same floats the live projection indexed', async () => {
    const embedder = new FakeEmbedder(64);
    const emb = startMessageEmbedding({ store, embedder });
    await post(store, 'm1', 'compact vectors in the log');
    await emb.idle();
    await emb.stop();
    const [event] = await store.readAll({ types: ['message.embedded'] });
    const vector = (event.data as { vector: Float32Array }).vector;
    expect(vector).toBeInstanceOf(QuantizedVector);
    expect(Array.from(vector)).toEqual(Array.from(QuantizedVector.quantize(fakeVector('compact vectors in the log', 64))));
  });

  it('message vectors make room search semantic (hybrid), scoped to the room', async () => {
    const embedder = new FakeEmbedder(64);
    const emb = startMessageEmbedding({ store, embedder });
    await post(store, 'm1', 'volcano lava eruption');
    await post(store, 'm2', 'penguin colony antarctica');
    await post(store, 'm3', 'volcano lava eruption again', 'r2');
    await emb.idle();
    await emb.stop();
    await p.waitFor(await store.head());
    const q = 'lava volcano';
    const hits = p.readModel.searchMessages('r1', { text: q, vector: fakeVector(q, 64), k: 5 });
    expect(hits[0].message.id).toBe('m1');
    expect(hits.every((h) => h.message.roomId === 'r1')).toBe(true);
    // Vector only: the nearest is still m1.
    expect(p.readModel.searchMessages('r1', { text: '', vector: fakeVector(q, 64), k: 1 })[0].message.id).toBe('m1');
    // Lexical only.
    expect(p.readModel.searchMessages('r1', { text: 'penguin', k: 5 }).map((h) => h.message.id)).toEqual(['m2']);
  });

  it('retries a failed embed call with backoff, then records the vector', async () => {
    const inner = new FakeEmbedder(16);
    let failures = 2;
    const flaky = { model: inner.model, embed: (texts: string[]) => (failures-- > 0 ? Promise.reject(new Error('503')) : inner.embed(texts)) };
    const emb = startMessageEmbedding({ store, embedder: flaky, retryDelayMs: 5 });
    await post(store, 'm1', 'hello');
    await emb.idle();
    await emb.stop();
    expect(inner.calls).toBe(1);
    expect((await store.readAll({ types: ['message.embedded'] })).map((e) => e.id)).toEqual([embeddedEventId('m1')]);
  });

  it('gives up after maxAttempts (logged), and a later start embeds the message', async () => {
    const lines: string[] = [];
    const logger = createLogger('warn', {}, (l) => lines.push(l) > 0);
    const down = { model: 'fake-bow-16', embed: () => Promise.reject(new Error('model down')) };
    const emb = startMessageEmbedding({ store, embedder: down, retryDelayMs: 2, maxAttempts: 3, logger });
    await post(store, 'm1', 'hello');
    await emb.idle();
    await emb.stop();
    expect(lines.filter((l) => l.includes('model down'))).toHaveLength(3);
    expect(await store.readAll({ types: ['message.embedded'] })).toEqual([]);
    const later = startMessageEmbedding({ store, embedder: new FakeEmbedder(16) });
    await later.idle();
    await later.stop();
    expect((await store.readAll({ types: ['message.embedded'] })).length).toBe(1);
  });

  it('records what the provider was asked as model.called per batch attempt, not per message', async () => {
    const inner = new FakeEmbedder(16);
    let calls = 0;
    const source = {
      name: 'fake-remote',
      capabilities: { text: false, embeddings: true },
      modelFor: () => inner.model,
      embed: async (texts: string[], o?: CallOptions) => {
        if (++calls === 1) throw Object.assign(new Error('bad gateway'), { status: 502 });
        return { vectors: await inner.embed(texts, o), model: inner.model, usage: { promptTokens: texts.length, completionTokens: 0 } };
      },
    } as unknown as ModelProvider;
    const embedder = new BatchingEmbedder(new ResilientProvider(source, { baseDelayMs: 1 }), { windowMs: 1, backgroundWindowMs: 20 });
    // In the log before start: the catch-up takes them as one batch, across two rooms.
    for (const [i, id] of ['m1', 'm2', 'm3', 'm4'].entries()) await post(store, id, `text number ${i}`, i % 2 ? 'r1' : 'r2');
    const emb = startMessageEmbedding({ store, embedder });
    await emb.idle();
    await emb.stop();
    expect((await store.readAll({ types: ['message.embedded'] })).length).toBe(4);
    const called = (await store.readAll({ types: ['model.called'] })).map((e) => e.data as { kind: string; ok: boolean; usage?: { promptTokens: number } });
    expect(called.map((c) => [c.kind, c.ok, c.usage?.promptTokens])).toEqual([
      ['embedding', false, undefined],
      ['embedding', true, 4],
    ]);
  });
});
