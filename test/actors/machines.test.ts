import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, type AnyStateMachine } from 'xstate';
import { getShortestPaths, getStateNodes } from 'xstate/graph';
import { agentMachine, type AgentEvent, type Pending } from '../../src/actors/machines/agent.machine.ts';
import { depthOf, mentions, recipients, roomMachine, type RoomContext, type RoomEvent } from '../../src/actors/machines/room.machine.ts';
import { systemMachine, type SystemEvent } from '../../src/actors/machines/system.machine.ts';
import { backoffMs } from '../../src/shared/backoff.ts';
import { serviceMachine } from '../../src/actors/machines/service.machine.ts';

/** Every atomic state of a machine, as "a" or "a.b". */
function leafStates(machine: AnyStateMachine): string[] {
  return getStateNodes(machine.root)
    .filter((n) => n.type === 'atomic' || n.type === 'final')
    .map((n) => n.path.join('.'))
    .sort();
}
const flat = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : Object.entries(v as object)
        .map(([k, c]) => `${k}.${flat(c)}`)
        .join(',');

describe('agent machine (pure)', () => {
  const msg = (id: string, roomId = 'r1', seq = 1): Omit<Pending, 'disposition'> => ({
    messageId: id,
    roomId,
    seq,
    depth: 0,
    text: `text of ${id}`,
    authorId: 'u',
    authorKind: 'user',
  });
  const events: AgentEvent[] = [
    { type: 'STARTED' },
    { type: 'STOPPED' },
    { type: 'DELETED' },
    { type: 'TOLD', message: msg('m1') },
    { type: 'TOLD', message: msg('m2', 'r1', 2) },
    { type: 'SETTLED', roomId: 'r1', messageId: 'm1' },
    { type: 'SETTLED', roomId: 'r1', messageId: 'm2' },
    { type: 'MODE', roomId: 'r1', mode: 'muted' },
  ];
  const serializeState = (s: { value: unknown; context: { rooms: object } }) => flat(s.value) + JSON.stringify(s.context.rooms);

  for (const mailbox of ['enqueue', 'reject', 'interrupt'] as const) {
    it(`path coverage (${mailbox}): every state is reachable and the mailbox invariants hold on the path to every distinct state`, () => {
      const paths = getShortestPaths(agentMachine, {
        events,
        input: { agentId: 'a', name: 'Ada', mailbox },
        serializeState: serializeState as never,
        limit: 5000,
      });
      expect(paths.length).toBeGreaterThan(10);
      const reached = new Set(paths.map((p) => flat(p.state.value)));
      expect([...reached].sort()).toEqual(leafStates(agentMachine));
      for (const path of paths) {
        for (const step of path.steps) {
          const ctx = step.state.context;
          for (const room of Object.values(ctx.rooms)) {
            const ids = [room.current?.messageId, ...room.queue.map((p) => p.messageId)].filter(Boolean);
            expect(new Set(ids).size).toBe(ids.length); // a message is never both current and queued
            if (!room.current) expect(room.queue).toEqual([]); // nothing waits while the room is idle
            if (!step.state.matches('running')) expect([room.current, ...room.queue, ...room.side].filter(Boolean)).toEqual([]); // stopped hears nothing
          }
        }
      }
    });
  }

  it('runs effects only through the provided actions: start on TOLD, next on SETTLED, abort on stop', () => {
    const log: string[] = [];
    const actor = createActor(
      agentMachine.provide({
        actions: {
          startTurns: (_, p) => p.pendings.forEach((x) => log.push(`start ${x.messageId} ${x.disposition}`)),
          abortTurn: (_, p) => log.push(`abort ${p.messageId}`),
          abortAll: () => log.push('abortAll'),
        },
      }),
      { input: { agentId: 'a', name: 'Ada' } },
    ).start();
    actor.send({ type: 'TOLD', message: msg('m0') }); // stopped: ignored
    actor.send({ type: 'STARTED' });
    actor.send({ type: 'TOLD', message: msg('m1') });
    actor.send({ type: 'TOLD', message: msg('m2') });
    actor.send({ type: 'TOLD', message: msg('m1') }); // duplicate delivery: ignored
    actor.send({ type: 'SETTLED', roomId: 'r1', messageId: 'm1' });
    actor.send({ type: 'STOPPED' });
    expect(log).toEqual(['start m1 answer', 'start m2 answer', 'abortAll']);
    expect(actor.getSnapshot().context.rooms).toEqual({});
  });

  it('interrupt supersedes the current message and the queue; reject refuses only the newcomer', () => {
    const run = (mailbox: 'interrupt' | 'reject') => {
      const log: string[] = [];
      const actor = createActor(
        agentMachine.provide({
          actions: {
            startTurns: (_, p) => p.pendings.forEach((x) => log.push(`${x.messageId}:${x.disposition}`)),
            abortTurn: (_, p) => log.push(`abort ${p.messageId}`),
          },
        }),
        { input: { agentId: 'a', name: 'Ada', mailbox } },
      ).start();
      actor.send({ type: 'STARTED' });
      actor.send({ type: 'TOLD', message: msg('m1') });
      actor.send({ type: 'TOLD', message: msg('m2') });
      return { log, ctx: actor.getSnapshot().context.rooms.r1 };
    };
    const i = run('interrupt');
    expect(i.log).toEqual(['m1:answer', 'abort m1', 'm2:answer', 'm1:supersede']);
    expect(i.ctx.current?.messageId).toBe('m2');
    const r = run('reject');
    expect(r.log).toEqual(['m1:answer', 'm2:reject']);
    expect(r.ctx.current?.messageId).toBe('m1');
  });

  it('a persisted snapshot restores to the same mailbox', () => {
    const a = createActor(agentMachine, { input: { agentId: 'a', name: 'Ada' } }).start();
    a.send({ type: 'STARTED' });
    a.send({ type: 'TOLD', message: msg('m1') });
    a.send({ type: 'TOLD', message: msg('m2') });
    const b = createActor(agentMachine, { input: { agentId: 'a', name: 'Ada' }, snapshot: JSON.parse(JSON.stringify(a.getPersistedSnapshot())) }).start();
    expect(b.getSnapshot().value).toBe('running');
    expect(b.getSnapshot().context.rooms).toEqual(a.getSnapshot().context.rooms);
  });
});

describe('room machine (pure) and routing', () => {
  const ada = { id: 'ada', kind: 'agent' as const, name: 'Ada' };
  const bob = { id: 'bob', kind: 'agent' as const, name: 'Bob' };
  const alice = { id: 'alice', kind: 'user' as const, name: 'Alice' };

  it('path coverage: empty ↔ active as agents join and leave', () => {
    const events: RoomEvent[] = [
      { type: 'JOINED', participant: ada },
      { type: 'JOINED', participant: alice },
      { type: 'LEFT', participantId: 'ada' },
      { type: 'RENAMED', participantId: 'ada', name: 'Adaline' },
      { type: 'POSTED', messageId: 'm', authorKind: 'agent' },
    ];
    const paths = getShortestPaths(roomMachine, { events, input: { roomId: 'r' } });
    const reached = new Set(paths.map((p) => flat(p.state.value)));
    expect(reached).toEqual(new Set(['empty', 'active']));
    for (const p of paths) expect(p.state.matches('active')).toBe(p.state.context.participants.some((x) => x.kind === 'agent'));
  });

  it('users are heard by every agent; agents only by the agents they name, below the depth bound', () => {
    const ctx: RoomContext = { roomId: 'r', participants: [alice, ada, bob], depths: [] };
    expect(recipients(ctx, { authorId: 'alice', authorKind: 'user', text: 'hi', depth: 0 }, 3).map((p) => p.id)).toEqual(['ada', 'bob']);
    expect(recipients(ctx, { authorId: 'ada', authorKind: 'agent', text: 'hi all', depth: 1 }, 3)).toEqual([]);
    expect(recipients(ctx, { authorId: 'ada', authorKind: 'agent', text: 'what do you think, bob?', depth: 1 }, 3).map((p) => p.id)).toEqual(['bob']);
    expect(recipients(ctx, { authorId: 'ada', authorKind: 'agent', text: 'Bob?', depth: 3 }, 3)).toEqual([]);
    expect(recipients(ctx, { authorId: 'ada', authorKind: 'agent', text: 'Ada here', depth: 1 }, 3)).toEqual([]);
  });

  it('depth grows along agent replies', () => {
    const a = createActor(roomMachine, { input: { roomId: 'r' } }).start();
    a.send({ type: 'JOINED', participant: ada });
    a.send({ type: 'POSTED', messageId: 'u1', authorKind: 'user' });
    a.send({ type: 'POSTED', messageId: 'a1', authorKind: 'agent', inReplyTo: 'u1' });
    a.send({ type: 'POSTED', messageId: 'b1', authorKind: 'agent', inReplyTo: 'a1' });
    const ctx = a.getSnapshot().context;
    expect(depthOf(ctx, 'agent', 'u1')).toBe(1);
    expect(ctx.depths).toEqual([
      ['a1', 1],
      ['b1', 2],
    ]);
    expect(depthOf(ctx, 'agent', 'b1')).toBe(3);
  });

  it('remembers the depth of the last 64 agent messages only, newest kept', () => {
    const a = createActor(roomMachine, { input: { roomId: 'r' } }).start();
    a.send({ type: 'JOINED', participant: ada });
    a.send({ type: 'POSTED', messageId: 'a0', authorKind: 'agent' });
    for (let i = 1; i < 70; i++) a.send({ type: 'POSTED', messageId: `a${i}`, authorKind: 'agent', inReplyTo: `a${i - 1}` });
    const ctx = a.getSnapshot().context;
    expect(ctx.depths).toHaveLength(64);
    expect(ctx.depths[63]).toEqual(['a69', 70]);
    expect(depthOf(ctx, 'agent', 'a69')).toBe(71);
    expect(depthOf(ctx, 'agent', 'a5')).toBe(1); // forgotten: counted as a fresh exchange
  });

  it('names are matched as words, case-insensitively, with or without @', () => {
    expect(mentions('hey @ada!', 'Ada')).toBe(true);
    expect(mentions('Ada, hi', 'Ada')).toBe(true);
    expect(mentions('Adam is here', 'Ada')).toBe(false);
    expect(mentions('canada', 'Ada')).toBe(false);
    expect(mentions('ask Mr. Robot', 'Mr. Robot')).toBe(true);
  });
});

describe('system machine (pure)', () => {
  it('path coverage: every state is reachable', () => {
    const events: SystemEvent[] = [
      { type: 'START' },
      { type: 'RESTORED' },
      { type: 'STOP' },
      { type: 'STOPPED' },
      { type: 'CHILD_FAILED', actorId: 'agent-1', kind: 'agent', error: 'x' },
    ];
    // Failure counts are unbounded: states are compared by value only.
    const paths = getShortestPaths(systemMachine, { events, input: {}, serializeState: ((s: { value: unknown }) => flat(s.value)) as never });
    expect([...new Set(paths.map((p) => flat(p.state.value)))].sort()).toEqual(leafStates(systemMachine));
  });

  it('supervision: each failure schedules a restart with doubling backoff, reset on recovery', () => {
    const delays: number[] = [];
    const a = createActor(systemMachine.provide({ actions: { scheduleRestart: (_, p) => delays.push(p.restartInMs) } }), {
      input: { baseMs: 100, maxMs: 1000 },
    }).start();
    a.send({ type: 'START' });
    a.send({ type: 'RESTORED' });
    for (let i = 0; i < 6; i++) a.send({ type: 'CHILD_FAILED', actorId: 'agent-1', kind: 'agent', error: 'boom' });
    a.send({ type: 'CHILD_RECOVERED', actorId: 'agent-1' });
    a.send({ type: 'CHILD_FAILED', actorId: 'agent-1', kind: 'agent', error: 'boom' });
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 100]);
    expect(backoffMs(3, 10, 1000)).toBe(40);
  });
});

describe('service machine', () => {
  it('path coverage with instant effects: stopped → starting → running → stopping → stopped; failures back off then give up', () => {
    const machine = serviceMachine.provide({ actors: { startService: fromPromise(async () => {}), stopService: fromPromise(async () => {}) } });
    const states = getStateNodes(machine.root)
      .map((n) => n.path.join('.'))
      .filter(Boolean)
      .sort();
    expect(states).toEqual(['failed', 'gaveUp', 'running', 'starting', 'stopped', 'stopping']);
    const paths = getShortestPaths(machine, { events: [{ type: 'START' }, { type: 'STOP' }, { type: 'FAILED', error: 'x' }], input: { serviceType: 's' } });
    // Invoked effects complete asynchronously, so the pure traversal sees the synchronous part.
    expect(new Set(paths.map((p) => flat(p.state.value)))).toEqual(new Set(['stopped', 'starting', 'stopping']));
  });

  it('restarts a failing service with backoff, and gives up after maxFailures', async () => {
    let starts = 0;
    const reports: string[] = [];
    const machine = serviceMachine.provide({
      actors: {
        startService: fromPromise(async () => {
          starts++;
          if (starts < 3) throw new Error(`fail ${starts}`);
        }),
      },
      actions: { reportFailure: (_, p) => reports.push(p.error) },
    });
    const a = createActor(machine, { input: { serviceType: 's', baseMs: 1, maxMs: 4, maxFailures: 5 } }).start();
    a.send({ type: 'START' });
    await new Promise<void>((resolve) => a.subscribe((s) => s.matches('running') && resolve()));
    expect(starts).toBe(3);
    expect(reports).toEqual(['fail 1', 'fail 2']);
    a.send({ type: 'FAILED', error: 'crashed later' });
    await new Promise<void>((resolve) => a.subscribe((s) => s.matches('running') && resolve()));
    expect(starts).toBe(4);

    const never = createActor(
      serviceMachine.provide({
        actors: {
          startService: fromPromise<void, { serviceType: string }>(async () => {
            throw new Error('nope');
          }),
        },
        actions: { reportFailure: (_, p) => reports.push(p.error) },
      }),
      {
        input: { serviceType: 't', baseMs: 1, maxMs: 2, maxFailures: 3 },
      },
    ).start();
    never.send({ type: 'START' });
    await new Promise<void>((resolve) => never.subscribe((s) => s.matches('gaveUp') && resolve()));
    expect(reports.at(-1)).toMatch(/gave up after 3 failures: nope/);
  });
});
