import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActorSystem } from '../../src/actors/index.ts';
import type { TurnInput } from '../../src/actors/turn/turn-input.ts';
import type { ActorSystem } from '../../src/actors/types.ts';
import type { EventStore } from '../../src/events/store.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { newId } from '../../src/shared/ids.ts';
import { FakeModel, fakeModels } from './support/fake-models.ts';
import { FakeReadModel } from './support/fake-read-model.ts';
import { box } from './support/harness.ts';
import { bootstrapPlugin } from '../../plugins/bootstrap/index.ts';

/**
 * For random interleavings of messages (users' and agents'), joins, renames (agent.updated, with a new
 * mailbox policy) and restarts (stop, then a new system from snapshots + the log's tail) across rooms
 * and agents: every turn the live actors launched was handed exactly what actors rebuilt from the same
 * log, up to the position it was launched at, hand a turn. Decisions come from the log, not from
 * when or how often the system restarted, nor from the projections.
 */
const AGENTS = 3;
const ROOMS = 2;
const NAMES = ['Ada', 'Bob', 'Cy', 'Dee'];
const MAILBOX = ['enqueue', 'reject', 'interrupt'] as const;

type Op =
  | { kind: 'post'; room: number; named?: number }
  | { kind: 'agentPost'; room: number; author: number; named: number }
  | { kind: 'join'; room: number; agent: number }
  | { kind: 'rename'; agent: number; name: number; mailbox: number }
  | { kind: 'settle' }
  | { kind: 'restart' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('post' as const), room: fc.nat(ROOMS - 1), named: fc.option(fc.nat(AGENTS - 1), { nil: undefined }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('agentPost' as const), room: fc.nat(ROOMS - 1), author: fc.nat(AGENTS - 1), named: fc.nat(AGENTS - 1) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('join' as const), room: fc.nat(ROOMS - 1), agent: fc.nat(AGENTS - 1) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('rename' as const),
      agent: fc.nat(AGENTS - 1),
      name: fc.nat(NAMES.length - 1),
      mailbox: fc.nat(MAILBOX.length - 1),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

/** Launches compared over all runs: the property must not hold vacuously (no turn launched at all). */
let compared = 0;

interface Launch {
  key: string;
  atSeq: number;
  input: TurnInput;
}

const keyOf = (i: TurnInput) => `${i.agent.agentId}:${i.pending.messageId}:${i.pending.disposition}`;

function startSystem(store: EventStore, readModel: FakeReadModel, launches: Launch[], model = new FakeModel()): ActorSystem {
  return createActorSystem({
    store,
    readModel,
    waitFor: readModel.waitFor,
    models: fakeModels(model),
    bootstrap: bootstrapPlugin,
    secrets: box,
    settings: { modelTimeoutMs: 2_000, retryBaseMs: 5, restartBaseMs: 10, snapshotDelayMs: 5 },
    // A structured copy: what the turn was handed at that moment, not a live reference.
    onTurnLaunched: (input, atSeq) => launches.push({ key: keyOf(input), atSeq, input: structuredClone(input) }),
  });
}

/** Actors rebuilt from the log's first `upTo` events (no snapshot): the turns they launch on going live. */
async function rebuiltLaunches(log: Awaited<ReturnType<EventStore['readAll']>>, upTo: number): Promise<Launch[]> {
  const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  for (const e of log) if (e.seq <= upTo) await store.append(e.stream, [{ id: e.id, type: e.type, data: e.data, meta: e.meta } as never]);
  expect(await store.head()).toBe(upTo);
  const readModel = new FakeReadModel(store);
  readModel.start();
  const launches: Launch[] = [];
  const model = new FakeModel();
  model.hang = true; // the rebuilt actors only show what they would hand a turn
  const system = startSystem(store, readModel, launches, model);
  await system.start();
  await system.stop();
  readModel.close();
  await store.close();
  return launches.filter((l) => l.atSeq === upTo);
}

async function runScenario(mailboxes: number[], initial: boolean[][], ops: Op[]): Promise<void> {
  const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  const readModel = new FakeReadModel(store);
  readModel.start();
  const launches: Launch[] = [];
  let system = startSystem(store, readModel, launches);
  await system.start();
  const agents = NAMES.slice(0, AGENTS).map((name) => ({ id: newId(), name }));
  const rooms = Array.from({ length: ROOMS }, () => newId());
  const character = (name: string, mailbox: string) => ({ name, bio: [`${name} bio`], settings: { MAILBOX: mailbox } });
  try {
    for (const [i, a] of agents.entries())
      await store.append(`agent-${a.id}`, [
        { id: newId(), type: 'agent.created', data: { agentId: a.id, name: a.name, character: character(a.name, MAILBOX[mailboxes[i]]) } },
        { id: newId(), type: 'agent.started', data: { agentId: a.id } },
      ]);
    for (const [r, roomId] of rooms.entries())
      await store.append(`room-${roomId}`, [
        { id: newId(), type: 'room.created', data: { roomId, name: `room ${r}`, createdBy: 'u' } },
        { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: 'u', kind: 'user', name: 'Alice' } },
        ...agents
          .filter((_, i) => initial[r][i])
          .map((a) => ({ id: newId(), type: 'room.participant_joined' as const, data: { roomId, participantId: a.id, kind: 'agent' as const, name: a.name } })),
      ]);
    const post = (roomId: string, authorId: string, authorKind: 'user' | 'agent', text: string) => {
      const messageId = newId();
      return store.append(`room-${roomId}`, [{ id: messageId, type: 'message.posted', data: { messageId, roomId, authorId, authorKind, text } }]);
    };
    for (const op of ops) {
      if (op.kind === 'post') await post(rooms[op.room], 'u', 'user', op.named === undefined ? 'what is new?' : `${agents[op.named].name}, hello`);
      else if (op.kind === 'agentPost') await post(rooms[op.room], agents[op.author].id, 'agent', `${agents[op.named].name}, over to you`);
      else if (op.kind === 'join') {
        const a = agents[op.agent];
        await store.append(`room-${rooms[op.room]}`, [
          { id: newId(), type: 'room.participant_joined', data: { roomId: rooms[op.room], participantId: a.id, kind: 'agent', name: a.name } },
        ]);
      } else if (op.kind === 'rename') {
        const a = agents[op.agent];
        a.name = NAMES[op.name];
        await store.append(`agent-${a.id}`, [
          { id: newId(), type: 'agent.updated', data: { agentId: a.id, name: a.name, character: character(a.name, MAILBOX[op.mailbox]) } },
        ]);
      } else if (op.kind === 'settle') await system.idle();
      else {
        await system.stop();
        system = startSystem(store, readModel, launches);
        await system.start();
      }
    }
    await system.idle();
  } finally {
    await system.stop();
  }
  const log = await store.readAll({ afterSeq: 0, limit: 100_000 });
  readModel.close();
  await store.close();

  // Every launch position once; each launch compared with the rebuilt actors' launch of the same turn.
  const positions = [...new Set(launches.map((l) => l.atSeq))];
  for (const at of positions) {
    const rebuilt = new Map((await rebuiltLaunches(log, at)).map((l) => [l.key, l.input]));
    for (const live of launches.filter((l) => l.atSeq === at)) {
      expect({ key: live.key, input: rebuilt.get(live.key) }).toEqual({ key: live.key, input: live.input });
      compared++;
    }
  }
}

describe('the actors decide from the log', () => {
  it('turns launched live are handed what actors rebuilt from the same log hand them', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(MAILBOX.length - 1), { minLength: AGENTS, maxLength: AGENTS }),
        fc.array(fc.array(fc.boolean(), { minLength: AGENTS, maxLength: AGENTS }), { minLength: ROOMS, maxLength: ROOMS }),
        fc.array(opArb, { minLength: 3, maxLength: 14 }),
        runScenario,
      ),
      { numRuns: 12 },
    );
    expect(compared).toBeGreaterThan(12);
  });
});
