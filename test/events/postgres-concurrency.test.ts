import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRecordedEvent } from '../../src/events/index.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { PostgresEventStore, type PostgresEventStoreOptions } from '../../src/events/postgres/postgres-event-store.ts';
import { createTestDatabase, hasPostgres } from '../support/postgres.ts';
import { started, until } from './support/events.ts';

/**
 * Several writers, each with its own pool of connections (as several Chronicle nodes would be),
 * appending to one PostgreSQL log at once: order and chain stay intact and no reader — polling by
 * position, or subscribed live on yet another store — ever sees a position before a lower one.
 */
describe.runIf(hasPostgres())('PostgreSQL store under concurrency', () => {
  let url = '';
  let n = 0;
  const opened: PostgresEventStore[] = [];
  const open = async (schema: string, options: Partial<PostgresEventStoreOptions> = {}) => {
    const s = await PostgresEventStore.open(url, { registry: eventRegistry, schema, poolSize: 4, ...options });
    opened.push(s);
    return s;
  };
  beforeAll(async () => {
    url = await createTestDatabase('pgconc');
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
  });

  it('many writers on several pools: one gap-free chain, and readers never observe a gap', async () => {
    const schema = `conc_${++n}`;
    const writers = await Promise.all([1, 2, 3].map(() => open(schema)));
    const follower = await open(schema, { pollIntervalMs: 200 });
    const live: number[] = [];
    const sub = follower.subscribe().subscribe((e) => live.push(e.seq));

    // A reader paging by position while the writers run: every page must continue where it left off.
    let reading = true;
    let readTo = 0;
    const observedGaps: string[] = [];
    const reader = (async () => {
      const store = await open(schema);
      while (reading) {
        const page = await store.readAll({ afterSeq: readTo, limit: 500 });
        page.forEach((e, i) => {
          if (e.seq !== readTo + i + 1) observedGaps.push(`after ${readTo + i} came ${e.seq}`);
        });
        if (page.length > 0) readTo = page[page.length - 1].seq;
      }
    })();

    // 3 stores × 8 concurrent callers × 15 rounds of 1–3 events, over 5 streams (conflicting expectations included).
    let expected = 0;
    const conflicts: unknown[] = [];
    const writing = Promise.all(
      writers.flatMap((w, wi) =>
        Array.from({ length: 8 }, async (_, ci) => {
          for (let round = 0; round < 15; round++) {
            const size = 1 + ((wi + ci + round) % 3);
            const events = Array.from({ length: size }, (_, k) => started(`w${wi}-c${ci}-r${round}-${k}`, wi));
            const stream = `room-${(ci + round) % 5}`;
            if (round % 5 === 4) {
              // Optimistic concurrency across nodes: read the version, append at it; losers retry with the new one.
              for (;;) {
                const v = await w.streamVersion(stream);
                try {
                  await w.append(stream, events, { expectedVersion: v });
                  break;
                } catch (err) {
                  conflicts.push(err);
                }
              }
            } else {
              await w.append(stream, events);
            }
            expected += size;
          }
        }),
      ),
    );
    try {
      await writing;
    } finally {
      reading = false;
      await reader;
    }

    expect(observedGaps).toEqual([]);
    expect(await follower.head()).toBe(expected);
    const verify = await follower.verify();
    expect(verify).toEqual({ ok: true, checked: expected });
    const all = await follower.readAll({ limit: 100_000 });
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    expect(new Set(all.map((e) => e.id)).size).toBe(expected);
    // Each caller's events are consecutive in its stream, and in the caller's order.
    for (const stream of ['room-0', 'room-1', 'room-2', 'room-3', 'room-4']) {
      const versions = all.filter((e) => e.stream === stream).map((e) => e.version);
      expect(versions).toEqual(versions.map((_, i) => i + 1));
    }
    await until(() => live.length >= expected, 'the live follower');
    expect(live).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    expect(conflicts.every((e) => (e as Error).name === 'WrongExpectedVersionError')).toBe(true);
    sub.unsubscribe();
  });

  it('a lost notification is not a lost event: the poll reads the log by position', async () => {
    const schema = `conc_${++n}`;
    const writer = await open(schema);
    const follower = await open(schema, { pollIntervalMs: 50 });
    const got: AnyRecordedEvent[] = [];
    const sub = follower.subscribe().subscribe((e) => got.push(e));
    await writer.append('room-a', [started('before')]);
    await until(() => got.length === 1, 'the first event');
    // Every notification from now on is dropped on the floor.
    (follower as unknown as { listener: pg.Client }).listener.removeAllListeners('notification');
    await writer.append('room-a', [started('lost-1'), started('lost-2')]);
    await until(() => got.length === 3, 'events whose notification was lost');
    expect(got.map((e) => e.id)).toEqual(['before', 'lost-1', 'lost-2']);
    sub.unsubscribe();
  });

  it('a dropped LISTEN connection reconnects and reads what was committed meanwhile', async () => {
    const schema = `conc_${++n}`;
    const writer = await open(schema);
    const follower = await open(schema, { pollIntervalMs: 3_600_000 }); // no poll: only the reconnect can catch up
    const errors: unknown[] = [];
    (follower as unknown as { options: { onError: (e: unknown) => void } }).options.onError = (e) => errors.push(e);
    const got: number[] = [];
    const sub = follower.subscribe().subscribe((e) => got.push(e.seq));
    await writer.append('room-a', [started('e1')]);
    await until(() => got.length === 1, 'the first event');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // The follower's LISTEN session is killed; the writer keeps committing while it is gone.
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, [`LISTEN "chronicle_log_${schema}"`]);
      expect(killed.rowCount).toBe(1);
      for (let i = 2; i <= 6; i++) await writer.append('room-a', [started(`e${i}`)]);
      await until(() => got.length === 6, 'events committed while the listener was down');
      expect(got).toEqual([1, 2, 3, 4, 5, 6]);
      expect(errors.length).toBeGreaterThan(0);
      await writer.append('room-a', [started('e7')]);
      await until(() => got.length === 7, 'live again after the reconnect');
    } finally {
      await admin.end();
      sub.unsubscribe();
    }
  });

  it('TRUNCATE of the log is refused by the database', async () => {
    const store = await open(`conc_${++n}`);
    await store.append('room-a', [started('e1')]);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await expect(admin.query(`TRUNCATE "${store.schema}".events`)).rejects.toThrow(/append-only: TRUNCATE refused/);
      await expect(admin.query(`DELETE FROM "${store.schema}".log_head`)).rejects.toThrow(/append-only: DELETE refused/);
      expect(await store.head()).toBe(1);
      expect((await store.verify()).ok).toBe(true);
    } finally {
      await admin.end();
    }
  });

  it('a database whose default isolation is REPEATABLE READ still takes concurrent appends from several stores', async () => {
    const strict = await createTestDatabase('pgstrict');
    const admin = new pg.Client({ connectionString: strict });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${new URL(strict).pathname.slice(1)}" SET default_transaction_isolation = 'repeatable read'`);
    } finally {
      await admin.end();
    }
    const stores = await Promise.all(
      [1, 2].map(async () => {
        const s = await PostgresEventStore.open(strict, { registry: eventRegistry, schema: 'strict', poolSize: 4 });
        opened.push(s);
        return s;
      }),
    );
    await Promise.all(
      stores.flatMap((s, si) =>
        Array.from({ length: 6 }, async (_, ci) => {
          for (let r = 0; r < 5; r++) await s.append(`room-${ci % 3}`, [started(`s${si}-c${ci}-r${r}`)]);
        }),
      ),
    );
    expect(await stores[0].verify()).toEqual({ ok: true, checked: 60 });
  });
});
