import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import type { EventStore } from '../../src/events/store.ts';
import { FakeModel, fakeModels } from './support/fake-models.ts';
import { createHarness, type Harness } from './support/harness.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

const open: Harness[] = [];
let store: EventStore | undefined;
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  await store?.close();
  store = undefined;
});

async function boot(s: EventStore, model = new FakeModel()) {
  const h = await createHarness({ store: s, keepStore: true, models: fakeModels(model) });
  open.push(h);
  return h;
}
async function shut(h: Harness) {
  open.splice(open.indexOf(h), 1);
  await h.close();
}
const agentReplies = (h: Harness) => h.agentReplies();

describe('restart', () => {
  it('answers, after start, a message accepted while the system was down', async () => {
    store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
    const a = await boot(store);
    const ada = await a.createAgent('Ada');
    const roomId = await a.createRoom('u', [ada]);
    await a.system.idle();
    await shut(a);
    const loader = await createHarness({ store, keepStore: true, start: false });
    const m = await loader.post(roomId, 'u', 'while you were away');
    await loader.close();
    const b = await boot(store);
    await b.system.idle();
    const replies = await agentReplies(b);
    expect(replies.map((r) => (r.data as { inReplyTo: string }).inReplyTo)).toEqual([m]);
  });

  it('a turn abandoned by stop() is resumed after restart and answered exactly once', async () => {
    store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
    const hanging = new FakeModel();
    hanging.hang = true;
    const a = await boot(store, hanging);
    const ada = await a.createAgent('Ada');
    const roomId = await a.createRoom('u', [ada]);
    await a.post(roomId, 'u', 'slow question');
    // Wait until the model has been called (the turn is in flight), then stop.
    for (let i = 0; i < 200 && hanging.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(hanging.calls.length).toBe(1);
    await shut(a);
    expect((await readAll(store!, 'message.posted')).filter((e) => e.type === 'message.posted' && e.data.authorKind === 'agent')).toHaveLength(0);
    const b = await boot(store);
    await b.system.idle();
    expect((await agentReplies(b)).map((r) => r.data.text)).toEqual(['You said: slow question']);
    // A third start answers nothing again.
    await shut(b);
    const c = await boot(store);
    await c.system.idle();
    expect(await agentReplies(c)).toHaveLength(1);
  });

  it('restores from snapshots, and from the log alone when a snapshot is missing or corrupt', async () => {
    store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
    const a = await boot(store);
    const ada = await a.createAgent('Ada', { settings: { MAILBOX: 'enqueue' } });
    const roomId = await a.createRoom('u', [ada]);
    await a.post(roomId, 'u', 'one');
    await a.system.idle();
    await shut(a);
    const sys = await store.snapshots.load('system');
    expect(sys?.seq).toBe(await store.head());
    expect((sys?.state as { actors: { id: string }[] }).actors.map((x) => x.id).sort()).toEqual([`agent-${ada}`, `room-${roomId}`].sort());

    const b = await boot(store);
    await b.post(roomId, 'u', 'two');
    await b.system.idle();
    expect((await agentReplies(b)).map((r) => r.data.text)).toEqual(['You said: one', 'You said: two']);
    await shut(b);

    await store.snapshots.delete(`room-${roomId}`);
    const c = await boot(store);
    await c.post(roomId, 'u', 'three');
    await c.system.idle();
    expect((await agentReplies(c)).map((r) => r.data.text)).toEqual(['You said: one', 'You said: two', 'You said: three']);
    await shut(c);

    await store.snapshots.save({
      actorId: `agent-${ada}`,
      seq: (await store.snapshots.load('system'))!.seq,
      machineVersion: 'agent-v1',
      state: { garbage: true },
    });
    const d = await boot(store);
    await d.post(roomId, 'u', 'four');
    await d.system.idle();
    expect((await agentReplies(d)).map((r) => r.data.text)).toEqual(['You said: one', 'You said: two', 'You said: three', 'You said: four']);
  });

  it('appends nothing while idle, and nothing (and calls no model) on a restart with nothing pending', async () => {
    store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
    const a = await boot(store);
    const ada = await a.createAgent('Ada');
    const roomId = await a.createRoom('u', [ada]);
    await a.post(roomId, 'u', 'hi');
    await a.system.idle();
    const head = await store.head();
    await new Promise((r) => setTimeout(r, 100));
    expect(await store.head()).toBe(head);
    await shut(a);
    // Replay never calls a model: everything the first run decided is in the log.
    const model = new FakeModel();
    const b = await boot(store, model);
    await b.system.idle();
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.head()).toBe(head);
    expect(model.calls).toHaveLength(0);
  });
});

async function readAll(s: EventStore, type?: string) {
  const all = await s.readAll({ limit: 10_000 });
  return type ? all.filter((e) => e.type === type) : all;
}

describe('deleted agents', () => {
  it('leave the graph and their snapshot, and answer nothing after a restart', async () => {
    store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
    const a = await boot(store);
    const ada = await a.createAgent('Ada');
    const roomId = await a.createRoom('u', [ada]);
    await a.system.idle();
    await shut(a);
    expect(await store.snapshots.load(`agent-${ada}`)).toBeDefined();
    const b = await boot(store);
    await b.store.append(`agent-${ada}`, [{ id: crypto.randomUUID(), type: 'agent.deleted', data: { agentId: ada } }]);
    await b.post(roomId, 'u', 'hello?');
    await b.system.idle();
    expect(b.system.graph().some((n) => n.id === `agent-${ada}`)).toBe(false);
    await shut(b);
    expect(await store.snapshots.load(`agent-${ada}`)).toBeUndefined();
    const c = await boot(store);
    await c.system.idle();
    expect(await agentReplies(c)).toHaveLength(0);
  });
});
