import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fuseHybrid, reciprocalRankFusion } from '../../src/projections/fusion.ts';
import { ingestDocument } from '../../src/knowledge/ingest.ts';
import { openProjections, type Projections } from '../../src/projections/index.ts';
import type { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { FakeEmbedder, fakeVector } from '../support/fake-embedder.ts';
import { memoryStore } from '../support/projection-fixtures.ts';

/** Hybrid search scores that mean something: in [0, 1], higher for a better match, order unchanged. */
describe('hybrid relevance score', () => {
  const ids = fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 25 });

  it('keeps the reciprocal-rank order and scores every result in [0, 1]', () => {
    fc.assert(
      fc.property(ids, ids, fc.boolean(), fc.integer({ min: 1, max: 30 }), (v, l, withVector, k) => {
        const vector = withVector ? v.map((id, i) => ({ id, distance: (i * 2) / Math.max(1, v.length) })) : undefined;
        const lexical = l.map((id, i) => ({ id, bm25: -(l.length - i) * 3 }));
        const fused = fuseHybrid(vector, lexical, k);
        const rankings = [...(vector ? [vector.map((h) => h.id)] : []), lexical.map((h) => h.id)];
        expect(fused.map((f) => f.id)).toEqual(reciprocalRankFusion(rankings, k).map((f) => f.id));
        for (const f of fused) expect(f.score >= 0 && f.score <= 1).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is the cosine similarity blended with saturated BM25: a close, word-matching hit near 1, a far one near 0', () => {
    const [near, far] = fuseHybrid(
      [
        { id: 1, distance: 0.05 },
        { id: 2, distance: 0.95 },
      ],
      [{ id: 1, bm25: -9 }],
      2,
    );
    expect(near.score).toBeGreaterThan(0.85);
    expect(far.score).toBeLessThan(0.1);
    // No vector side: the lexical part alone; words matching nothing rare score ~0.
    const [strong, weak] = fuseHybrid(
      undefined,
      [
        { id: 1, bm25: -4 },
        { id: 2, bm25: -0.000001 },
      ],
      2,
    );
    expect(strong.score).toBeCloseTo(0.8, 5);
    expect(weak.score).toBeLessThan(0.001);
  });

  describe('through the read model', () => {
    let store: SqliteEventStore;
    let p: Projections;
    beforeEach(async () => {
      store = memoryStore();
      p = openProjections({ path: ':memory:', store });
      await p.start();
      const embedder = new FakeEmbedder(64);
      const docs = [
        'Penguins live in Antarctica and swim in cold seas.',
        'Violins have four strings and are played with a bow.',
        'SQLite stores a whole database in one file.',
      ];
      for (const [i, text] of docs.entries()) await ingestDocument({ store, embedder }, { agentId: 'g1', documentId: `d${i}`, title: `Doc ${i}`, text });
      await p.waitFor(await store.head());
    });
    afterEach(async () => {
      await p.close();
      await store.close();
    });

    it('a relevant chunk scores above an irrelevant one, both in [0, 1]', () => {
      const q = 'where do penguins swim';
      const hits = p.readModel.searchKnowledge('g1', { text: q, vector: fakeVector(q, 64), k: 3 });
      expect(hits[0].title).toBe('Doc 0');
      for (const h of hits) expect(h.score >= 0 && h.score <= 1).toBe(true);
      expect(hits[0].score).toBeGreaterThan(0.3);
      for (const h of hits.slice(1)) expect(hits[0].score).toBeGreaterThan(h.score + 0.2);
      // A query that matches nothing scores below the best match of one that does.
      const u = 'recipe for banana bread';
      for (const h of p.readModel.searchKnowledge('g1', { text: u, vector: fakeVector(u, 64), k: 3 })) expect(h.score).toBeLessThan(0.3);
    });
  });
});
