/**
 * The EventStore contract: every behaviour of the interface in src/events/store.ts, written against
 * the interface only, so every implementation (SQLite today, PostgreSQL later) runs the very same
 * suite. What cannot be done through the interface (reopening the same log, tampering with storage)
 * comes in through optional hooks; a hook left out skips only its tests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidEventError,
  StoreClosedError,
  WrongExpectedVersionError,
  type AnyRecordedEvent,
  type EventStore,
  type ExpectedVersion,
} from '../../src/events/index.ts';
import { embedded, roomCreated, started, until } from './support/events.ts';

export interface ContractHooks {
  /** Closes `store` and opens the same log again (durability tests). */
  reopen?: (store: EventStore) => Promise<EventStore>;
  /** Tries to UPDATE and then to DELETE the row at `seq` directly in storage; must throw each time. */
  rewriteRow?: (store: EventStore, seq: number) => { update: () => unknown; remove: () => unknown };
  /** Damages the stored snapshot of `actorId` (e.g. flips its state text) behind the store's back. */
  corruptSnapshot?: (store: EventStore, actorId: string) => Promise<void>;
}

export function eventStoreContract(name: string, makeStore: () => Promise<EventStore>, hooks: ContractHooks = {}): void {
  describe(`EventStore contract: ${name}`, () => {
    const open: EventStore[] = [];
    const fresh = async () => {
      const s = await makeStore();
      open.push(s);
      return s;
    };
    const reopen = async (s: EventStore) => {
      const r = await hooks.reopen!(s);
      open.push(r);
      return r;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    describe('append', () => {
      it('assigns gap-free seqs across streams, versions per stream, a hash and default meta', async () => {
        const s = await fresh();
        const a = await s.append('room-a', [roomCreated('e1'), started('e2')]);
        const b = await s.append('room-b', [started('e3')]);
        expect(a).toEqual({
          lastSeq: 2,
          version: 2,
          positions: [
            { id: 'e1', seq: 1, duplicate: false },
            { id: 'e2', seq: 2, duplicate: false },
          ],
        });
        expect(b).toEqual({ lastSeq: 3, version: 1, positions: [{ id: 'e3', seq: 3, duplicate: false }] });
        const all = await s.readAll();
        expect(all.map((e) => [e.seq, e.stream, e.version])).toEqual([
          [1, 'room-a', 1],
          [2, 'room-a', 2],
          [3, 'room-b', 1],
        ]);
        expect(all[0].hash).toMatch(/^[0-9a-f]{64}$/);
        expect(new Set(all.map((e) => e.hash)).size).toBe(3);
        expect(typeof all[0].meta.timestamp).toBe('number');
        expect(all[0].meta.schemaVersion).toBe(1);
      });

      it('keeps caller meta (causation, correlation, author, timestamp)', async () => {
        const s = await fresh();
        const meta = { causationId: 'c1', correlationId: 'k1', author: { kind: 'user' as const, id: 'u1' }, timestamp: 1234 };
        await s.append('room-a', [{ ...started('e1'), meta }]);
        expect((await s.getById('e1'))!.meta).toEqual({ ...meta, schemaVersion: 1 });
      });

      it('round-trips payloads, Float32Array vectors included', async () => {
        const s = await fresh();
        const vector = new Float32Array([0.5, -1.25, 3e-8, 42]);
        await s.append('room-a', [embedded('m1', vector), roomCreated('e2', 'room-x')]);
        const [v, r] = await s.readStream('room-a');
        expect(v.type === 'message.embedded' && v.data.vector).toBeInstanceOf(Float32Array);
        expect(v.type === 'message.embedded' && Array.from(v.data.vector)).toEqual(Array.from(vector));
        expect(r.data).toEqual({ roomId: 'room-x', name: 'Lobby', createdBy: 'u1' });
      });

      describe('expectedVersion', () => {
        const cases: { expected: ExpectedVersion; onMissing: boolean; onExisting: boolean }[] = [
          { expected: 'any', onMissing: true, onExisting: true },
          { expected: 'no_stream', onMissing: true, onExisting: false },
          { expected: 'stream_exists', onMissing: false, onExisting: true },
          { expected: 0, onMissing: true, onExisting: false },
          { expected: 2, onMissing: false, onExisting: true },
          { expected: 1, onMissing: false, onExisting: false },
          { expected: 3, onMissing: false, onExisting: false },
        ];
        for (const c of cases) {
          it(`${JSON.stringify(c.expected)}: ${c.onMissing ? 'accepts' : 'refuses'} a missing stream, ${c.onExisting ? 'accepts' : 'refuses'} one at version 2`, async () => {
            const s = await fresh();
            await s.append('room-existing', [started('x1'), started('x2')]);
            for (const [stream, accepted, actual] of [
              ['room-missing', c.onMissing, 0],
              ['room-existing', c.onExisting, 2],
            ] as const) {
              const headBefore = await s.head();
              const attempt = s.append(stream, [started(`new-${stream}`)], { expectedVersion: c.expected });
              if (accepted) {
                await expect(attempt).resolves.toMatchObject({ version: actual + 1 });
              } else {
                const err = await attempt.then(
                  () => undefined,
                  (e: unknown) => e,
                );
                expect(err).toBeInstanceOf(WrongExpectedVersionError);
                expect(err).toMatchObject({ stream, expected: c.expected, actual });
                expect(await s.head()).toBe(headBefore);
                expect(await s.getById(`new-${stream}`)).toBeUndefined();
                expect(await s.streamVersion(stream)).toBe(actual);
              }
            }
          });
        }

        it('refuses a malformed expectation as invalid', async () => {
          const s = await fresh();
          await expect(s.append('room-a', [started('e1')], { expectedVersion: -1 })).rejects.toBeInstanceOf(InvalidEventError);
          await expect(s.append('room-a', [started('e1')], { expectedVersion: 'sometimes' as never })).rejects.toBeInstanceOf(InvalidEventError);
          expect(await s.head()).toBe(0);
        });
      });

      describe('idempotency by event id', () => {
        it('a repeated append returns the original positions and writes nothing', async () => {
          const s = await fresh();
          const first = await s.append('room-a', [started('e1'), started('e2')]);
          const again = await s.append('room-a', [started('e1'), started('e2')]);
          expect(again.positions).toEqual(first.positions.map((p) => ({ ...p, duplicate: true })));
          expect(again.lastSeq).toBe(2);
          expect(await s.head()).toBe(2);
        });

        it('a pure retry succeeds even with the expectation it originally passed', async () => {
          const s = await fresh();
          await s.append('room-a', [started('e1')], { expectedVersion: 'no_stream' });
          await s.append('room-a', [started('e2')]);
          await expect(s.append('room-a', [started('e1')], { expectedVersion: 'no_stream' })).resolves.toMatchObject({
            positions: [{ id: 'e1', seq: 1, duplicate: true }],
          });
        });

        it('a mixed batch writes only the new events and still checks the expectation', async () => {
          const s = await fresh();
          await s.append('room-a', [started('e1')]);
          await expect(s.append('room-a', [started('e1'), started('e2')], { expectedVersion: 0 })).rejects.toBeInstanceOf(WrongExpectedVersionError);
          const r = await s.append('room-a', [started('e1'), started('e2')], { expectedVersion: 1 });
          expect(r.positions).toEqual([
            { id: 'e1', seq: 1, duplicate: true },
            { id: 'e2', seq: 2, duplicate: false },
          ]);
          expect((await s.readAll()).map((e) => e.id)).toEqual(['e1', 'e2']);
        });

        it('an id repeated inside one append is recorded once', async () => {
          const s = await fresh();
          const r = await s.append('room-a', [started('e1'), started('e1'), started('e2')]);
          expect(r.positions).toEqual([
            { id: 'e1', seq: 1, duplicate: false },
            { id: 'e1', seq: 1, duplicate: true },
            { id: 'e2', seq: 2, duplicate: false },
          ]);
          expect(await s.streamVersion('room-a')).toBe(2);
        });

        it('the same id in concurrent appends of one group is recorded once', async () => {
          const s = await fresh();
          const [a, b] = await Promise.all([s.append('room-a', [started('e1')]), s.append('room-b', [started('e1')])]);
          expect(a.positions[0]).toEqual({ id: 'e1', seq: 1, duplicate: false });
          expect(b.positions[0]).toEqual({ id: 'e1', seq: 1, duplicate: true });
          expect(await s.head()).toBe(1);
          expect(await s.streamVersion('room-b')).toBe(0);
        });

        it.skipIf(!hooks.reopen)('is durable: a retry after reopening the log is still a no-op', async () => {
          const s = await fresh();
          await s.append('room-a', [started('e1'), started('e2')]);
          const again = await reopen(s);
          const r = await again.append('room-a', [started('e2')]);
          expect(r.positions).toEqual([{ id: 'e2', seq: 2, duplicate: true }]);
          expect(await again.head()).toBe(2);
          await again.append('room-a', [started('e3')], { expectedVersion: 2 });
          expect((await again.verify()).ok).toBe(true);
        });
      });

      describe('validation', () => {
        const bad: [string, () => Parameters<EventStore['append']>][] = [
          ['a payload missing a field', () => ['room-a', [{ id: 'e1', type: 'room.created', data: { roomId: 'r' } as never }]]],
          ['a payload field of the wrong type', () => ['room-a', [{ id: 'e1', type: 'agent.started', data: { agentId: 7 } as never }]]],
          ['an unknown event type', () => ['room-a', [{ id: 'e1', type: 'no.such.type' as never, data: {} as never }]]],
          ['an empty id', () => ['room-a', [{ ...started(''), id: '' }]]],
          ['an invalid stream name', () => ['bad stream!', [started('e1')]]],
          ['no events', () => ['room-a', []]],
          ['one bad event among good ones', () => ['room-a', [started('e0'), { id: 'e1', type: 'agent.started', data: {} as never }]]],
        ];
        for (const [what, args] of bad) {
          it(`refuses ${what} with InvalidEventError and writes nothing`, async () => {
            const s = await fresh();
            await expect(s.append(...args())).rejects.toBeInstanceOf(InvalidEventError);
            expect(await s.head()).toBe(0);
            expect(await s.readAll()).toEqual([]);
          });
        }

        it('a refused append in a group does not affect the others', async () => {
          const s = await fresh();
          const results = await Promise.allSettled([
            s.append('room-a', [started('e1')]),
            s.append('room-b', [{ id: 'e2', type: 'agent.started', data: {} as never }]),
            s.append('room-c', [started('e3')], { expectedVersion: 5 }),
            s.append('room-d', [started('e4')]),
          ]);
          expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
          expect((await s.readAll()).map((e) => [e.seq, e.id])).toEqual([
            [1, 'e1'],
            [2, 'e4'],
          ]);
          expect((await s.verify()).ok).toBe(true);
        });
      });

      it('appends issued in one tick commit in issue order', async () => {
        const s = await fresh();
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => s.append(`room-${i % 3}`, [started(`e${i}`)])));
        expect(results.map((r) => r.lastSeq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect((await s.readAll()).map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => `e${i}`));
      });
    });

    describe('reads', () => {
      const seed = async (s: EventStore) => {
        for (let i = 1; i <= 10; i++) await s.append(i % 2 ? 'room-odd' : 'room-even', [i % 5 === 0 ? roomCreated(`e${i}`) : started(`e${i}`)]);
      };

      it('readStream returns a stream in version order, from a version, limited', async () => {
        const s = await fresh();
        await seed(s);
        expect((await s.readStream('room-odd')).map((e) => [e.version, e.id])).toEqual([
          [1, 'e1'],
          [2, 'e3'],
          [3, 'e5'],
          [4, 'e7'],
          [5, 'e9'],
        ]);
        expect((await s.readStream('room-odd', { fromVersion: 3 })).map((e) => e.id)).toEqual(['e5', 'e7', 'e9']);
        expect((await s.readStream('room-odd', { fromVersion: 2, limit: 2 })).map((e) => e.id)).toEqual(['e3', 'e5']);
        expect(await s.readStream('room-none')).toEqual([]);
      });

      it('readAll pages by seq and filters by stream and type', async () => {
        const s = await fresh();
        await seed(s);
        expect((await s.readAll({ limit: 3 })).map((e) => e.seq)).toEqual([1, 2, 3]);
        expect((await s.readAll({ afterSeq: 3, limit: 3 })).map((e) => e.seq)).toEqual([4, 5, 6]);
        expect((await s.readAll({ afterSeq: 9 })).map((e) => e.seq)).toEqual([10]);
        expect(await s.readAll({ afterSeq: 10 })).toEqual([]);
        expect((await s.readAll({ stream: 'room-even' })).map((e) => e.id)).toEqual(['e2', 'e4', 'e6', 'e8', 'e10']);
        expect((await s.readAll({ stream: 'room-even', afterSeq: 4, limit: 2 })).map((e) => e.id)).toEqual(['e6', 'e8']);
        expect((await s.readAll({ types: ['room.created'] })).map((e) => e.id)).toEqual(['e5', 'e10']);
        expect((await s.readAll({ types: ['room.created', 'agent.started'], afterSeq: 8 })).map((e) => e.id)).toEqual(['e9', 'e10']);
        expect((await s.readAll({ stream: 'room-odd', types: ['room.created'] })).map((e) => e.id)).toEqual(['e5']);
        expect(await s.readAll({ types: [] })).toEqual([]);
        expect(await s.readAll({ stream: 'room-none' })).toEqual([]);
      });

      it('getById, head and streamVersion', async () => {
        const s = await fresh();
        expect(await s.head()).toBe(0);
        expect(await s.streamVersion('room-odd')).toBe(0);
        await seed(s);
        expect(await s.head()).toBe(10);
        expect(await s.streamVersion('room-odd')).toBe(5);
        const e = await s.getById('e4');
        expect(e).toMatchObject({ seq: 4, id: 'e4', stream: 'room-even', version: 2, type: 'agent.started', data: { agentId: 'agent-0' } });
        expect(await s.getById('nope')).toBeUndefined();
        expect(await s.getById('e4')).toEqual((await s.readAll({ afterSeq: 3, limit: 1 }))[0]);
      });

      it.skipIf(!hooks.reopen)('everything acknowledged is there after reopening', async () => {
        const s = await fresh();
        await seed(s);
        const before = await s.readAll();
        const again = await reopen(s);
        expect(await again.readAll()).toEqual(before);
        expect(await again.head()).toBe(10);
        expect(await again.streamVersion('room-even')).toBe(5);
      });
    });

    describe('subscribe', () => {
      const collect = (s: EventStore, afterSeq?: number) => {
        const got: AnyRecordedEvent[] = [];
        let completed = false;
        let error: unknown;
        const sub = s.subscribe(afterSeq).subscribe({ next: (e) => got.push(e), complete: () => (completed = true), error: (e) => (error = e) });
        return { got, sub, done: () => completed, error: () => error };
      };

      it('delivers the log after afterSeq, then live events, in order', async () => {
        const s = await fresh();
        for (let i = 1; i <= 5; i++) await s.append('room-a', [started(`e${i}`)]);
        const c = collect(s, 2);
        await until(() => c.got.length === 3, 'catch-up');
        await s.append('room-b', [started('e6'), started('e7')]);
        await until(() => c.got.length === 5, 'live events');
        expect(c.got.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7]);
        expect(c.got[3]).toEqual(await s.getById('e6'));
        c.sub.unsubscribe();
      });

      it('has no gap and no duplicate when appends happen during catch-up', async () => {
        const s = await fresh();
        const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => started(`e${from + i}`));
        for (let i = 0; i < 25; i++) await s.append(`room-${i % 4}`, batch(i * 100, 100)); // 2,500: several catch-up pages
        const c = collect(s);
        const writers = Array.from({ length: 20 }, (_, i) => s.append(`room-${i % 4}`, batch(10_000 + i * 10, 10)));
        await Promise.all(writers);
        for (let i = 0; i < 5; i++) await s.append('room-late', [started(`late${i}`)]);
        await until(() => c.got.length >= 2_705, 'all events');
        await new Promise((r) => setTimeout(r, 10));
        expect(c.got.map((e) => e.seq)).toEqual(Array.from({ length: 2_705 }, (_, i) => i + 1));
        c.sub.unsubscribe();
      });

      it('several subscribers each see the whole log', async () => {
        const s = await fresh();
        await s.append('room-a', [started('e1')]);
        const c1 = collect(s);
        const c2 = collect(s, 1);
        await s.append('room-a', [started('e2')]);
        await until(() => c1.got.length === 2 && c2.got.length === 1, 'both subscribers');
        expect(c1.got.map((e) => e.id)).toEqual(['e1', 'e2']);
        expect(c2.got.map((e) => e.id)).toEqual(['e2']);
        c1.sub.unsubscribe();
        c2.sub.unsubscribe();
      });

      it('an unsubscribed observer receives nothing more', async () => {
        const s = await fresh();
        const c = collect(s);
        await s.append('room-a', [started('e1')]);
        await until(() => c.got.length === 1, 'first event');
        c.sub.unsubscribe();
        await s.append('room-a', [started('e2')]);
        await new Promise((r) => setTimeout(r, 5));
        expect(c.got).toHaveLength(1);
      });

      it('completes when the store closes (live or still catching up)', async () => {
        const s = await makeStore();
        for (let i = 0; i < 30; i++)
          await s.append(
            'room-a',
            Array.from({ length: 100 }, (_, j) => started(`e${i}-${j}`)),
          );
        const live = collect(s);
        await until(() => live.got.length === 3000, 'catch-up');
        const catchingUp = collect(s);
        await s.close();
        await until(() => live.done() && catchingUp.done(), 'completion');
        expect(live.error()).toBeUndefined();
        expect(catchingUp.error()).toBeUndefined();
        // What a subscriber got before the end is still a gap-free prefix.
        expect(catchingUp.got.map((e) => e.seq)).toEqual(Array.from({ length: catchingUp.got.length }, (_, i) => i + 1));
      });
    });

    describe('verify', () => {
      it('reports an intact log with the number of events checked', async () => {
        const s = await fresh();
        expect(await s.verify()).toEqual({ ok: true, checked: 0 });
        await s.append('room-a', [started('e1'), started('e2')]);
        await s.append('room-b', [roomCreated('e3')]);
        expect(await s.verify()).toEqual({ ok: true, checked: 3 });
      });
    });

    describe.skipIf(!hooks.rewriteRow)('append-only storage', () => {
      it('refuses UPDATE and DELETE of an event', async () => {
        const s = await fresh();
        await s.append('room-a', [started('e1')]);
        const row = hooks.rewriteRow!(s, 1);
        expect(row.update).toThrow(/append-only/);
        expect(row.remove).toThrow(/append-only/);
        expect((await s.getById('e1'))!.data).toEqual({ agentId: 'agent-0' });
        expect((await s.verify()).ok).toBe(true);
      });
    });

    describe('snapshots', () => {
      const snap = { actorId: 'agent-1', seq: 7, machineVersion: 'v1', state: { value: 'idle', context: { n: [1, 2] } } };

      it('save then load returns it; a later save replaces it', async () => {
        const s = await fresh();
        await s.snapshots.save(snap);
        expect(await s.snapshots.load('agent-1')).toEqual(snap);
        await s.snapshots.save({ ...snap, seq: 9, state: 'x' });
        expect(await s.snapshots.load('agent-1')).toEqual({ ...snap, seq: 9, state: 'x' });
      });

      it('a missing or deleted snapshot loads as undefined', async () => {
        const s = await fresh();
        expect(await s.snapshots.load('agent-none')).toBeUndefined();
        await s.snapshots.save(snap);
        await s.snapshots.delete('agent-1');
        expect(await s.snapshots.load('agent-1')).toBeUndefined();
      });

      it.skipIf(!hooks.corruptSnapshot)('a corrupt snapshot loads as undefined', async () => {
        const s = await fresh();
        await s.snapshots.save(snap);
        await hooks.corruptSnapshot!(s, 'agent-1');
        expect(await s.snapshots.load('agent-1')).toBeUndefined();
      });

      it.skipIf(!hooks.reopen)('survives reopening', async () => {
        const s = await fresh();
        await s.snapshots.save(snap);
        expect(await (await reopen(s)).snapshots.load('agent-1')).toEqual(snap);
      });
    });

    describe('close', () => {
      it('commits appends issued before close, then refuses everything', async () => {
        const s = await makeStore();
        const pending = s.append('room-a', [started('e1')]);
        await s.close();
        await expect(pending).resolves.toMatchObject({ lastSeq: 1 });
        await expect(s.append('room-a', [started('e2')])).rejects.toBeInstanceOf(StoreClosedError);
        await expect(s.readAll()).rejects.toBeInstanceOf(StoreClosedError);
        await expect(s.head()).rejects.toBeInstanceOf(StoreClosedError);
        const err = await new Promise((resolve) => s.subscribe().subscribe({ error: resolve, complete: () => resolve('completed') }));
        expect(err).toBeInstanceOf(StoreClosedError);
        await s.close(); // idempotent
      });

      it.skipIf(!hooks.reopen)('what was committed at close is in the log when reopened', async () => {
        const s = await fresh();
        const pending = Promise.all([s.append('room-a', [started('e1')]), s.append('room-b', [started('e2')])]);
        const again = await reopen(s);
        await pending;
        expect((await again.readAll()).map((e) => e.id)).toEqual(['e1', 'e2']);
      });
    });
  });
}
