import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { streams } from '../../src/domain/streams.ts';
import { chunkIdFor, ingestDocument, removeDocument } from '../../src/knowledge/ingest.ts';
import { openProjections, type Projections } from '../../src/projections/index.ts';
import type { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { FakeEmbedder, fakeVector } from '../support/fake-embedder.ts';
import { memoryStore } from '../support/projection-fixtures.ts';

const topics = [
  'volcanoes erupt molten lava and ash',
  'penguins live in antarctica and swim',
  'sqlite stores tables in one file',
  'violins have four strings and a bow',
];
const doc = Array.from({ length: 40 }, (_, i) => `Fact ${i}: ${topics[i % 4]} number ${i}.`).join(' ');

describe('knowledge ingestion', () => {
  let store: SqliteEventStore;
  let p: Projections;
  let embedder: FakeEmbedder;

  beforeEach(async () => {
    store = memoryStore();
    embedder = new FakeEmbedder(64);
    p = openProjections({ path: ':memory:', store });
    await p.start();
  });
  afterEach(async () => {
    await p.close();
    await store.close();
  });

  it('records added, chunk batches with vectors, then ready; reports progress per batch', async () => {
    const progress: [number, number][] = [];
    const r = await ingestDocument(
      { store, embedder },
      {
        agentId: 'g1',
        documentId: 'd1',
        title: 'Facts',
        text: doc,
        chunking: { maxChars: 200, overlapChars: 40 },
        batchSize: 4,
        onProgress: (d, t) => progress.push([d, t]),
      },
    );
    expect(r.documentId).toBe('d1');
    expect(r.chunks).toBeGreaterThan(8);
    const events = await store.readStream(streams.document('d1'));
    expect(events[0].type).toBe('knowledge.document_added');
    expect(events.at(-1)!.type).toBe('knowledge.document_ready');
    const chunks = events.filter((e) => e.type === 'knowledge.chunk_embedded');
    expect(chunks).toHaveLength(r.chunks);
    expect(embedder.calls).toBe(Math.ceil(r.chunks / 4));
    expect(progress[0]).toEqual([0, r.chunks]);
    expect(progress.at(-1)).toEqual([r.chunks, r.chunks]);
    expect(progress).toHaveLength(1 + Math.ceil(r.chunks / 4));
    const first = chunks[0];
    if (first.type !== 'knowledge.chunk_embedded') throw new Error('unreachable');
    expect(first.data.chunkId).toBe(chunkIdFor('d1', 0));
    expect(first.data.vector).toBeInstanceOf(Float32Array);
    expect(first.data.vector).toHaveLength(64);

    await p.waitFor(await store.head());
    expect(p.readModel.documentById('d1')).toMatchObject({ agentId: 'g1', title: 'Facts', status: 'ready', chunks: r.chunks });
    expect(p.readModel.listDocuments('g1').map((d) => d.id)).toEqual(['d1']);
  });

  it('shows its progress in the read model while it runs: chunks embedded so far, ingesting until ready', async () => {
    // Before each batch is embedded, the batches before it are in the log: what does a reader see?
    const seen: [number, string][] = [];
    const observing = {
      model: embedder.model,
      async embed(texts: string[]) {
        await p.waitFor(await store.head());
        const d = p.readModel.documentById('d2')!;
        seen.push([d.embeddedChunks, d.status]);
        return embedder.embed(texts);
      },
    };
    const r = await ingestDocument(
      { store, embedder: observing },
      { agentId: 'g1', documentId: 'd2', title: 'Facts', text: doc, chunking: { maxChars: 200, overlapChars: 40 }, batchSize: 4 },
    );
    expect(seen).toEqual(Array.from({ length: Math.ceil(r.chunks / 4) }, (_, i) => [4 * i, 'ingesting']));
    await p.waitFor(await store.head());
    expect(p.readModel.listDocuments('g1')[0]).toMatchObject({ id: 'd2', status: 'ready', chunks: r.chunks, embeddedChunks: r.chunks });
  });

  it('a retried ingestion of the same document writes nothing new', async () => {
    const input = { agentId: 'g1', documentId: 'd1', title: 'Facts', text: doc, chunking: { maxChars: 200 } };
    await ingestDocument({ store, embedder }, input);
    const head = await store.head();
    await ingestDocument({ store, embedder }, input);
    expect(await store.head()).toBe(head);
  });

  it('finds chunks by hybrid search, scoped to the agent; a removed document disappears', async () => {
    await ingestDocument({ store, embedder }, { agentId: 'g1', documentId: 'd1', title: 'Facts', text: doc, chunking: { maxChars: 200, overlapChars: 0 } });
    await ingestDocument({ store, embedder }, { agentId: 'g2', documentId: 'd2', title: 'Other', text: 'penguins penguins penguins everywhere.' });
    await p.waitFor(await store.head());
    const q = 'where do penguins swim';
    const hits = p.readModel.searchKnowledge('g1', { text: q, vector: fakeVector(q, 64), k: 3 });
    expect(hits).toHaveLength(3);
    for (const h of hits) {
      expect(h.documentId).toBe('d1');
      expect(h.title).toBe('Facts');
      expect(h.text).toContain('penguins');
    }
    expect(hits[0].score).toBeGreaterThanOrEqual(hits[2].score);

    await removeDocument({ store }, { agentId: 'g1', documentId: 'd1' });
    await p.waitFor(await store.head());
    expect(p.readModel.searchKnowledge('g1', { text: q, vector: fakeVector(q, 64), k: 3 })).toEqual([]);
    expect(p.readModel.documentById('d1')).toBeUndefined();
    expect(p.readModel.listDocuments('g1')).toEqual([]);
    expect(p.readModel.searchKnowledge('g2', { text: q, k: 3 })).toHaveLength(1);
  });

  it('a new embedder with another dimension keeps both vector sets: each query uses its own dimension', async () => {
    await ingestDocument({ store, embedder }, { agentId: 'g1', documentId: 'd1', title: 'Facts', text: doc });
    const big = new FakeEmbedder(128);
    await ingestDocument({ store, embedder: big }, { agentId: 'g1', documentId: 'd1', title: 'Facts', text: doc });
    await p.waitFor(await store.head());
    const q = 'violins strings';
    // Vector-only queries (no words would match FTS: use an empty text) in each dimension.
    const small = p.readModel.searchKnowledge('g1', { text: '', vector: fakeVector(q, 64), k: 2 });
    const large = p.readModel.searchKnowledge('g1', { text: '', vector: fakeVector(q, 128), k: 2 });
    expect(small.length).toBe(2);
    expect(large.length).toBe(2);
    expect(small[0].text).toContain('violins');
    expect(large[0].text).toContain('violins');
    expect(p.readModel.searchKnowledge('g1', { text: '', vector: fakeVector(q, 32), k: 2 })).toEqual([]);
  });

  it('records document_failed when the embedder fails, and the document shows failed', async () => {
    const failing = { model: 'broken', embed: async () => Promise.reject(new Error('model down')) };
    await expect(ingestDocument({ store, embedder: failing }, { agentId: 'g1', documentId: 'd9', title: 'X', text: 'Some text.' })).rejects.toThrow(
      'model down',
    );
    await p.waitFor(await store.head());
    expect(p.readModel.documentById('d9')?.status).toBe('failed');
  });
});
