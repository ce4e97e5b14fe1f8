import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AnyRecordedEvent } from '../../src/events/envelope.ts';
import type { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { openReadDb } from '../../src/projections/open-db.ts';
import { Projector } from '../../src/projections/projector.ts';
import type { ReadModel } from '../../src/projections/read-model.ts';
import { SqliteReadModel } from '../../src/projections/sqlite-read-model.ts';
import { allProjections } from '../../src/projections/tables/index.ts';
import { AsOfReads, type AsOfState } from '../../src/time-travel/as-of.ts';
import { memoryStore } from '../support/projection-fixtures.ts';
import { eventsFromSteps, stepArb } from '../support/random-events.ts';

/**
 * For random logs (every projected event type, plus branches of rooms at random messages) and every
 * position p: what the as-of reads answer equals a rebuild of the read tables from the log truncated at
 * p, table by table (rooms and participants, messages, agents, documents and chunks, facts, the
 * room list). The as-of side folds only the scope's streams and goes forwards from earlier folds; the
 * rebuild applies every event ≤ p to fresh tables.
 */

const ROOMS = ['r0', 'r1', 'r2'];
const AGENTS = ['g0', 'g1', 'g2'];

/** A base step, or a branch: [-1, which message, which fork room, text seed]. */
const forkArb = fc.tuple(fc.constant(-1), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1023 }));
/** Messages (kind 12 of random-events.ts) weighed up, so that branches have histories to take. */
const postArb = fc.tuple(fc.constant(12), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1023 }));
const logArb = fc.array(fc.oneof({ weight: 5, arbitrary: stepArb }, { weight: 3, arbitrary: postArb }, { weight: 2, arbitrary: forkArb }), {
  minLength: 10,
  maxLength: 35,
});

async function buildLog(steps: [number, number, number, number][]): Promise<SqliteEventStore> {
  const store = memoryStore();
  const base = eventsFromSteps(steps.filter((s) => s[0] >= 0));
  const messages: { id: string; roomId: string; seq: number }[] = [];
  let b = 0;
  let forks = 0;
  for (const step of steps) {
    if (step[0] >= 0) {
      const { stream, event } = base[b++];
      const r = await store.append(stream, [event]);
      const d = event.data as { messageId?: string; roomId?: string };
      if (event.type === 'message.posted') messages.push({ id: d.messageId!, roomId: d.roomId!, seq: r.lastSeq });
      continue;
    }
    if (messages.length === 0) continue;
    const [, which, , seed] = step;
    const m = messages[which % messages.length];
    const roomId = `f${forks++}`;
    await store.append(`room-${roomId}`, [
      {
        id: `fork-${roomId}`,
        type: 'room.forked',
        data: { roomId, name: `Fork ${roomId}`, createdBy: 'a0', sourceRoomId: m.roomId, atMessageId: m.id, atSeq: m.seq },
      },
      { id: `join-${roomId}`, type: 'room.participant_joined', data: { roomId, participantId: 'p0', kind: 'user', name: 'P0' } },
    ]);
    const messageId = `fm-${roomId}`;
    const r = await store.append(`room-${roomId}`, [
      { id: messageId, type: 'message.posted', data: { messageId, roomId, authorId: 'p0', authorKind: 'user', text: `branch ${seed}` } },
    ]);
    messages.push({ id: messageId, roomId, seq: r.lastSeq });
  }
  return store;
}

function rebuildAt(all: readonly AnyRecordedEvent[], p: number): { rm: ReadModel; db: Projector['db'] } {
  const projector = new Projector(openReadDb(':memory:'), allProjections);
  projector.applyBatch(all.filter((e) => e.seq <= p));
  return { rm: new SqliteReadModel(projector.db, projector.vectors, () => p), db: projector.db };
}

async function compareAt(reads: AsOfReads, all: readonly AnyRecordedEvent[], rooms: string[], p: number): Promise<void> {
  const { rm: truth, db } = rebuildAt(all, p);
  try {
    for (const roomId of rooms) {
      const past = (await reads.at({ kind: 'room', roomId }, p)).readModel;
      expect(past.roomById(roomId), `room ${roomId} at ${p}`).toEqual(truth.roomById(roomId));
      expect(past.listMessages(roomId, { limit: 1000 }), `messages of ${roomId} at ${p}`).toEqual(truth.listMessages(roomId, { limit: 1000 }));
      expect(past.listMessages(roomId, { afterSeq: 0, limit: 1000 }), `messages of ${roomId} at ${p} (forwards)`).toEqual(
        truth.listMessages(roomId, { afterSeq: 0, limit: 1000 }),
      );
    }
    for (const agentId of AGENTS) {
      const past = (await reads.at({ kind: 'agent', agentId }, p)).readModel;
      expect(past.agentById(agentId), `agent ${agentId} at ${p}`).toEqual(truth.agentById(agentId));
      expect(past.listDocuments(agentId), `documents of ${agentId} at ${p}`).toEqual(truth.listDocuments(agentId));
      expect(past.facts(agentId, { limit: 1000 }), `facts of ${agentId} at ${p}`).toEqual(truth.facts(agentId, { limit: 1000 }));
      expect(
        past
          .searchKnowledge(agentId, { text: 'lava penguin sqlite violin river cloud garden rocket coffee piano', k: 50 })
          .map((h) => h.chunkId)
          .sort(),
        `chunks of ${agentId} at ${p}`,
      ).toEqual(
        truth
          .searchKnowledge(agentId, { text: 'lava penguin sqlite violin river cloud garden rocket coffee piano', k: 50 })
          .map((h) => h.chunkId)
          .sort(),
      );
    }
    const actors: AsOfState = await reads.at({ kind: 'actors' }, p);
    expect(actors.readModel.listAgents(), `agents at ${p}`).toEqual(truth.listAgents());
    const truthRooms = (db.prepare('SELECT id FROM rooms ORDER BY seq').pluck().all() as string[]).map((id) => truth.roomById(id));
    expect(actors.rooms(), `rooms at ${p}`).toEqual(truthRooms);
  } finally {
    db.close();
  }
}

describe('as-of reads (property): as-of state = rebuild of the log truncated at p', () => {
  it('for every position, going forwards (folds reused) and backwards (fresh folds)', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, async (steps) => {
        const store = await buildLog(steps as [number, number, number, number][]);
        try {
          const all = await store.readAll({ limit: 100_000 });
          const head = all.length ? all[all.length - 1].seq : 0;
          const rooms = [...ROOMS, ...new Set(all.filter((e) => e.type === 'room.forked').map((e) => (e.data as { roomId: string }).roomId))];
          const forwards = new AsOfReads(store, { cached: 64, checkpointEvery: 2 });
          for (let p = 0; p <= head; p++) await compareAt(forwards, all, rooms, p);
          forwards.close();
          // Backwards: no fold is behind the position (the cache only holds later ones): each read
          // starts from the nearest serialized checkpoint (taken every 3 events of a scope) or from nothing.
          const backwards = new AsOfReads(store, { cached: 2, checkpointEvery: 3 });
          for (let p = head; p >= 0; p -= 4) await compareAt(backwards, all, rooms, p);
          backwards.close();
        } finally {
          await store.close();
        }
      }),
      { numRuns: 4 },
    );
  }, 60_000);
});
