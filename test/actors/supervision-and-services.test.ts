import { afterEach, describe, expect, it } from 'vitest';
import type { AppendOptions, NewEvent, RecordedEvent } from '../../src/events/envelope.ts';
import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import type { EventStore } from '../../src/events/store.ts';
import { ServiceStartError, startOrder } from '../../src/actors/index.ts';
import type { ServiceClass } from '../../src/plugin-host/types.ts';
import { createHarness, type Harness } from './support/harness.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A store whose appends to room streams fail the first `n` times (a full disk, a locked file…). */
function flakyStore(n: number): EventStore {
  const inner = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  let failures = n;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'append')
        return async (stream: string, events: readonly NewEvent[], options?: AppendOptions) => {
          if (stream.startsWith('room-') && events.some((e) => e.type === 'reply.decided') && failures > 0) {
            failures--;
            throw new Error('disk I/O error');
          }
          return target.append(stream, events, options);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describe('supervision', () => {
  it('a crashed turn is an actor.failed event, restarted with backoff, and the message still gets exactly one reply', async () => {
    h = await createHarness({ store: flakyStore(2), settings: { restartBaseMs: 5 } });
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'hello');
    await h.system.idle();
    const failed = (await h.events('actor.failed')) as RecordedEvent<'actor.failed'>[];
    expect(failed.map((e) => [e.data.actorId, e.data.kind, e.data.error, e.data.restartInMs])).toEqual([
      [`agent-${ada}`, 'agent', 'disk I/O error', 5],
      [`agent-${ada}`, 'agent', 'disk I/O error', 10],
    ]);
    const replies = (await h.events('message.posted')).filter((e) => e.type === 'message.posted' && e.data.authorKind === 'agent');
    expect(replies.map((r) => r.data.text)).toEqual(['You said: hello']);
  });
});

describe('services', () => {
  const log: string[] = [];
  const service = (serviceType: string, dependencies: string[] = [], opts: { failStarts?: number } = {}): ServiceClass => {
    let fails = opts.failStarts ?? 0;
    return {
      serviceType,
      dependencies,
      start: async () => {
        if (fails-- > 0) throw new Error(`${serviceType} cannot start`);
        log.push(`start ${serviceType}`);
        return { stop: () => void log.push(`stop ${serviceType}`) };
      },
    };
  };

  it('start in dependency order, stop in reverse, and show in the actor graph', async () => {
    log.length = 0;
    h = await createHarness({
      plugins: [
        { name: 'p1', description: 'x', services: [service('search', ['db', 'cache']), service('cache', ['db'])] },
        { name: 'p2', description: 'x', services: [service('db')] },
      ],
    });
    expect(log).toEqual(['start db', 'start cache', 'start search']);
    const graph = h.system.graph();
    expect(graph.filter((n) => n.kind === 'service').map((n) => [n.id, n.state, n.parent])).toEqual([
      ['service-db', 'running', 'system'],
      ['service-cache', 'running', 'system'],
      ['service-search', 'running', 'system'],
    ]);
    await h.close();
    h = undefined;
    expect(log.slice(3)).toEqual(['stop search', 'stop cache', 'stop db']);
  });

  it('a missing dependency or a cycle is a clear start-up error', async () => {
    expect(() => startOrder([{ plugin: 'p', service: service('a', ['b']) }])).toThrow(
      new ServiceStartError('service "a" (plugin p) depends on "b", which no plugin provides'),
    );
    expect(() =>
      startOrder([
        { plugin: 'p', service: service('a', ['b']) },
        { plugin: 'p', service: service('b', ['c']) },
        { plugin: 'p', service: service('c', ['a']) },
      ]),
    ).toThrow(/service dependency cycle: a → b → c → a/);
    const bad = await createHarness({ start: false, plugins: [{ name: 'p', description: 'x', services: [service('a', ['a'])] }] });
    await expect(bad.system.start()).rejects.toThrow(/cycle: a → a/);
    await bad.close();
  });

  it('a service that fails to start is restarted with backoff, each failure an actor.failed event', async () => {
    log.length = 0;
    h = await createHarness({
      plugins: [{ name: 'p', description: 'x', services: [service('flaky', [], { failStarts: 2 })] }],
      settings: { restartBaseMs: 2 },
    });
    for (let i = 0; i < 100 && !log.includes('start flaky'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['start flaky']);
    await h.system.idle();
    const failed = (await h.events('actor.failed')) as RecordedEvent<'actor.failed'>[];
    expect(failed.map((e) => [e.data.actorId, e.data.kind, e.data.error])).toEqual([
      ['service-flaky', 'service', 'flaky cannot start'],
      ['service-flaky', 'service', 'flaky cannot start'],
    ]);
  });
});

describe('inspection', () => {
  it('graph() lists the system, rooms and agents; the XState inspection API sees actor events', async () => {
    h = await createHarness();
    const seen = new Set<string>();
    const actorIds = new Set<string>();
    h.system.inspect((e) => {
      seen.add(e.type);
      actorIds.add((e.actorRef as { id?: string }).id ?? '');
    });
    const ada = await h.createAgent('Ada');
    const roomId = await h.createRoom('u', [ada]);
    await h.post(roomId, 'u', 'hi');
    await h.system.idle();
    const graph = h.system.graph();
    const system = graph.find((n) => n.id === 'system')!;
    expect(system).toMatchObject({ kind: 'system', state: 'running' });
    expect(system.children).toEqual(expect.arrayContaining([`agent-${ada}`, `room-${roomId}`]));
    expect(graph.find((n) => n.id === `agent-${ada}`)).toMatchObject({ kind: 'agent', state: 'running', parent: 'system' });
    expect(graph.find((n) => n.id === `room-${roomId}`)).toMatchObject({ kind: 'room', state: 'active', parent: 'system' });
    expect([...seen]).toEqual(expect.arrayContaining(['@xstate.actor', '@xstate.event', '@xstate.snapshot']));
    expect([...actorIds]).toEqual(expect.arrayContaining([`agent-${ada}`, `room-${roomId}`]));
  });
});

describe('@statelyai/inspect relay (INSPECT=true)', () => {
  it('relays actor inspection events to a WebSocket client on 127.0.0.1', async () => {
    const { WebSocket } = await import('ws');
    h = await createHarness({ settings: { inspect: true, inspectPort: 0 } as never });
    const url = h.system.inspectorUrl();
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const client = new WebSocket(url!);
    const received: string[] = [];
    client.on('message', (d) => received.push(d.toString()));
    await new Promise((r) => client.once('open', r));
    const ada = await h.createAgent('Ada');
    await h.system.idle();
    for (let i = 0; i < 200 && !received.some((m) => m.includes(`agent-${ada}`)); i++) await new Promise((r) => setTimeout(r, 10));
    client.close();
    expect(received.some((m) => m.includes(`agent-${ada}`))).toBe(true);
  });
});
