import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyRecordedEvent } from '../../src/events/envelope.ts';
import { eventTypes } from '../../src/domain/catalogue.ts';
import { Projector } from '../../src/projections/projector.ts';
import { openReadDb } from '../../src/projections/open-db.ts';
import { allProjections } from '../../src/projections/tables/index.ts';
import type { Projection } from '../../src/projections/projection.ts';
import { diffDumps, dumpTables } from '../../src/projections/compare.ts';
import { memoryStore } from '../support/projection-fixtures.ts';
import { eventsFromSteps, stepsArb } from '../support/random-events.ts';

/** Records every applied seq with a plain INSERT: applying an event twice fails the primary key. */
const auditProjection: Projection = {
  name: 'audit',
  version: 1,
  tables: ['audit'],
  vectorKinds: [],
  handles: eventTypes,
  ddl: 'CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY)',
  prepare({ db }) {
    const ins = db.prepare('INSERT INTO audit (seq) VALUES (?)');
    return (e) => void ins.run(e.seq);
  },
};
const projections = [...allProjections, auditProjection];

async function logOf(steps: [number, number, number, number][]): Promise<AnyRecordedEvent[]> {
  const store = memoryStore();
  for (const { stream, event } of eventsFromSteps(steps)) await store.append(stream, [event]);
  const events = await store.readAll({ limit: 100_000 });
  await store.close();
  return events;
}

function split<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  for (let i = 0, k = 0; i < items.length; k++) {
    const n = sizes.length ? sizes[k % sizes.length] : items.length;
    out.push(items.slice(i, i + n));
    i += n;
  }
  return out;
}

function fullRebuild(events: readonly AnyRecordedEvent[]): Projector {
  const p = new Projector(openReadDb(':memory:'), projections);
  p.applyBatch(events);
  return p;
}

describe('projections (property): incremental = rebuild, crash-safe', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chronicle-prop-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applied in random batch splits, the tables equal a one-shot rebuild, table by table', async () => {
    await fc.assert(
      fc.asyncProperty(stepsArb, fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 6 }), async (steps, sizes) => {
        const events = await logOf(steps);
        const incremental = new Projector(openReadDb(':memory:'), projections);
        for (const batch of split(events, sizes)) incremental.applyBatch(batch);
        const rebuilt = fullRebuild(events);
        expect(diffDumps(dumpTables(incremental), dumpTables(rebuilt))).toEqual([]);
        expect(incremental.checkpoint()).toBe(events.length);
        incremental.db.close();
        rebuilt.db.close();
      }),
      { numRuns: 60 },
    );
  });

  it('killed mid-batch and reopened, it resumes with no event applied twice and none skipped', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        stepsArb,
        fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 5 }),
        fc.nat(),
        fc.nat(),
        async (steps, sizes, crashBatchSeed, crashAtSeed) => {
          const events = await logOf(steps);
          const path = join(dir, `kill-${run++}.db`);
          const batches = split(events, sizes);
          const crashBatch = crashBatchSeed % batches.length;
          const crashAt = crashAtSeed % batches[crashBatch].length;
          let p = new Projector(openReadDb(path), projections);
          let crashed = false;
          for (let i = 0; i < batches.length && !crashed; i++) {
            try {
              p.applyBatch(
                batches[i],
                i === crashBatch
                  ? {
                      beforeEvent: (_e, j) => {
                        if (j === crashAt) throw new Error('killed');
                      },
                    }
                  : undefined,
              );
            } catch (err) {
              expect((err as Error).message).toBe('killed');
              crashed = true;
            }
          }
          expect(crashed).toBe(true);
          const before = p.checkpoint();
          p.db.close();

          // "Restart": a new projector on the same file resumes from the stored checkpoints.
          p = new Projector(openReadDb(path), projections);
          expect(p.checkpoint()).toBe(before);
          const rest = events.filter((e) => e.seq > p.checkpoint());
          for (const batch of split(rest, sizes)) p.applyBatch(batch);
          const audit = p.db.prepare('SELECT seq FROM audit ORDER BY seq').pluck().all() as number[];
          expect(audit).toEqual(events.map((e) => e.seq)); // each exactly once, none skipped
          const rebuilt = fullRebuild(events);
          expect(diffDumps(dumpTables(p), dumpTables(rebuilt))).toEqual([]);
          p.db.close();
          rebuilt.db.close();
          for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('re-applying an already applied batch changes nothing (checkpoint guard)', async () => {
    const events = await logOf([
      [9, 0, 0, 1],
      [10, 0, 1, 2],
      [12, 0, 1, 3],
      [14, 0, 1, 0],
      [15, 0, 0, 5],
      [16, 0, 0, 6],
      [19, 0, 0, 7],
    ]);
    const p = fullRebuild(events);
    const before = dumpTables(p);
    // The comparison covers the vec0 and FTS tables too, not only the plain ones.
    expect([...before.keys()]).toEqual(expect.arrayContaining(['vec_message_8', 'vec_chunk_4', 'vec_fact_4', 'messages_fts', 'chunks_fts', 'facts_fts']));
    expect(before.get('vec_message_8')?.size).toBe(1);
    p.applyBatch(events);
    expect(diffDumps(before, dumpTables(p))).toEqual([]);
    p.db.close();
  });
});
