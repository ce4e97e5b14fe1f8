import { describe, expect, it } from 'vitest';
import type { AnyRecordedEvent } from '../../src/events/envelope.ts';
import { FollowerStoppedError, LogFollower, type FollowedLog } from '../../src/events/follower.ts';
import { failingFirstSubscription } from '../support/failing-subscription.ts';
import { ev, memoryStore, put } from '../support/projection-fixtures.ts';

/** The contract of the one log-follower primitive (src/events/follower.ts). */

const room = (i: number) => ev('room.created', { roomId: `r${i}`, name: `room ${i}`, createdBy: 'u' });

async function fill(store: ReturnType<typeof memoryStore>, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await store.append(`room-r${i}`, [room(i)]);
}

const seqs = (events: AnyRecordedEvent[]) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('LogFollower', () => {
  it('catches up from its checkpoint, in log order, then calls onLive once and resolves start', async () => {
    const store = memoryStore();
    await fill(store, 25);
    const seen: AnyRecordedEvent[] = [];
    const order: string[] = [];
    const f = new LogFollower(store, {
      name: 't',
      from: 5,
      pageSize: 7,
      handle: (b) => (seen.push(...b), order.push(`batch:${b.length}`)),
      onLive: () => order.push('live'),
    });
    await f.start();
    expect(seqs(seen)).toEqual(range(6, 25));
    expect(order.at(-1)).toBe('live');
    expect(order.filter((o) => o === 'live')).toHaveLength(1);
    // Catch-up hands pages over, not single events.
    expect(order.filter((o) => o.startsWith('batch'))).toEqual(['batch:7', 'batch:7', 'batch:6']);
    expect(f.live).toBe(true);
    expect(f.position).toBe(25);
    f.stop();
    await store.close();
  });

  it('follows live appends after catch-up, each exactly once, in log order (also when appends race the catch-up)', async () => {
    const store = memoryStore();
    await fill(store, 30);
    const seen: number[] = [];
    const f = new LogFollower(store, { name: 't', from: 0, pageSize: 4, handle: (b) => seen.push(...seqs([...b])) });
    const started = f.start();
    // Appended while the follower is paging through the first 30.
    const racing = (async () => {
      for (let i = 31; i <= 45; i++) await store.append(`room-r${i}`, [room(i)]);
    })();
    await started;
    await racing;
    await f.waitFor(45);
    await store.append('room-x', [room(46), room(47)]);
    await f.waitFor(47);
    expect(seen).toEqual(range(1, 47));
    f.stop();
    await store.close();
  });

  it("'head' starts at the log's head: only what is appended afterwards", async () => {
    const store = memoryStore();
    await fill(store, 3);
    const seen: number[] = [];
    const f = new LogFollower(store, { name: 't', from: 'head', handle: (b) => seen.push(...b.map((e) => e.seq)) });
    await f.start();
    await put(store, 'room-z', 'room.created', { roomId: 'z', name: 'z', createdBy: 'u' });
    await f.waitFor(4);
    expect(seen).toEqual([4]);
    f.stop();
    await store.close();
  });

  it('waitFor resolves only once the event is handled, at once for a past position, and rejects when stopped', async () => {
    const store = memoryStore();
    const handled: number[] = [];
    const f = new LogFollower(store, { name: 't', from: 0, handle: (b) => handled.push(...b.map((e) => e.seq)) });
    await f.start();
    const waiting = f.waitFor(2).then(() => [...handled]);
    await put(store, 'room-a', 'room.created', { roomId: 'a', name: 'a', createdBy: 'u' });
    await put(store, 'room-b', 'room.created', { roomId: 'b', name: 'b', createdBy: 'u' });
    expect(await waiting).toEqual([1, 2]); // the handler had seen seq 2 when waitFor(2) resolved
    await f.waitFor(1); // already handled: resolves at once
    const never = f.waitFor(99);
    f.stop();
    await expect(never).rejects.toBeInstanceOf(FollowerStoppedError);
    await expect(f.waitFor(100)).rejects.toBeInstanceOf(FollowerStoppedError);
    await store.close();
  });

  it('a type filter reads only those types, yet every position counts as handled (waitFor and idle)', async () => {
    const store = memoryStore();
    await put(store, 'room-a', 'room.created', { roomId: 'a', name: 'a', createdBy: 'u' });
    await put(store, 'room-a', 'room.participant_joined', { roomId: 'a', participantId: 'u', kind: 'user', name: 'U' });
    await put(store, 'room-a', 'room.created', { roomId: 'a2', name: 'a2', createdBy: 'u' });
    await put(store, 'room-a', 'room.participant_left', { roomId: 'a', participantId: 'u' });
    const types: string[] = [];
    const f = new LogFollower(store, { name: 't', from: 0, types: ['room.created'], handle: (b) => types.push(...b.map((e) => `${e.seq}:${e.type}`)) });
    await f.start();
    expect(types).toEqual(['1:room.created', '3:room.created']);
    expect(f.position).toBe(4); // the trailing left event is past too
    const joined = await put(store, 'room-a', 'room.participant_joined', { roomId: 'a', participantId: 'v', kind: 'user', name: 'V' });
    await f.waitFor(joined);
    await f.idle();
    expect(types).toHaveLength(2);
    f.stop();
    await store.close();
  });

  it('batch mode hands a group commit over in one call', async () => {
    const store = memoryStore();
    const calls: number[][] = [];
    const f = new LogFollower(store, { name: 't', from: 0, batch: true, handle: (b) => calls.push(b.map((e) => e.seq)) });
    await f.start();
    await store.append('room-x', [room(1), room(2), room(3)]);
    await f.waitFor(3);
    expect(calls).toEqual([[1, 2, 3]]);
    f.stop();
    await store.close();
  });

  it('a failing follower is isolated: the others go on, and it resumes from its checkpoint without losing or skipping an event', async () => {
    const store = memoryStore();
    await fill(store, 5);
    const healthy: number[] = [];
    const flaky: number[] = [];
    let failuresLeft = 2;
    const errors: string[] = [];
    const logger = { warn: () => undefined, error: (m: string) => void errors.push(m) };
    const a = new LogFollower(store, { name: 'healthy', from: 0, handle: (b) => healthy.push(...b.map((e) => e.seq)) });
    const b = new LogFollower(store, {
      name: 'flaky',
      from: 0,
      retryBaseMs: 5,
      logger,
      handle: (events) => {
        for (const e of events) {
          // Fails twice on seq 7 (a live event): nothing from 7 on counts until it succeeds.
          if (e.seq === 7 && failuresLeft-- > 0) throw new Error('boom');
          flaky.push(e.seq);
        }
      },
    });
    await Promise.all([a.start(), b.start()]);
    await store.append('room-x', [room(6)]);
    await store.append('room-x', [room(7)]);
    await store.append('room-x', [room(8)]);
    // The healthy follower is not held up by the failing one.
    await a.waitFor(8);
    expect(healthy).toEqual(range(1, 8));
    await b.waitFor(8);
    expect(flaky).toEqual(range(1, 8));
    expect(errors).toHaveLength(2);
    a.stop();
    b.stop();
    await store.close();
  });

  it('a failure inside a catch-up page resumes from the durable checkpoint the follower keeps', async () => {
    const store = memoryStore();
    await fill(store, 10);
    // A checkpoint the handler writes with its state, as the projections do (all-or-nothing per batch).
    let durable = 0;
    const state: number[] = [];
    let failOnce = true;
    let asked = 0;
    const f = new LogFollower(store, {
      name: 't',
      from: () => (asked++, durable),
      pageSize: 4,
      retryBaseMs: 5,
      handle: (events) => {
        if (events.some((e) => e.seq === 6) && failOnce) {
          failOnce = false;
          throw new Error('batch rolled back');
        }
        state.push(...events.map((e) => e.seq));
        durable = events[events.length - 1].seq;
      },
    });
    await f.start();
    expect(state).toEqual(range(1, 10));
    expect(asked).toBe(2); // at start, and again at the resume
    f.stop();
    await store.close();
  });

  it('a live subscription that errors is resumed from the checkpoint (no gap)', async () => {
    const store = memoryStore();
    // A log whose first live subscription dies after one event (a dropped connection, say).
    const log: FollowedLog = failingFirstSubscription(store);
    const seen: number[] = [];
    const f = new LogFollower(log, { name: 't', from: 0, retryBaseMs: 5, handle: (b) => seen.push(...b.map((e) => e.seq)) });
    await f.start();
    await store.append('room-x', [room(1)]);
    await store.append('room-x', [room(2)]);
    await store.append('room-x', [room(3)]);
    await f.waitFor(3);
    expect(seen).toEqual([1, 2, 3]);
    f.stop();
    await store.close();
  });

  it('restart starts over from the (reset) checkpoint; waiters survive it', async () => {
    const store = memoryStore();
    await fill(store, 4);
    let checkpoint = 0;
    const seen: number[] = [];
    const f = new LogFollower(store, {
      name: 't',
      from: () => checkpoint,
      handle: (b) => (seen.push(...b.map((e) => e.seq)), (checkpoint = b[b.length - 1].seq)),
    });
    await f.start();
    const later = f.waitFor(5);
    checkpoint = 0; // the state was reset (a rebuild)
    await f.restart();
    expect(seen).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    await store.append('room-x', [room(5)]);
    await later;
    f.stop();
    await store.close();
  });
});
