import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { openProjections, type Projections } from '../../src/projections/index.ts';
import { createActorSystem, type ActorSystemWithInspection } from '../../src/actors/index.ts';
import { derivedId, newId } from '../../src/shared/ids.ts';
import type { RecordedEvent } from '../../src/events/envelope.ts';
import { FakeModel, fakeModels } from './support/fake-models.ts';
import { box } from './support/harness.ts';
import type { Plugin } from '../../src/plugin-host/types.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { bootstrapPlugin } from '../../plugins/bootstrap/index.ts';

/** The actor system against the real projections (src/projections), not the test fake. */
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(model = new FakeModel(), plugins: Plugin[] = []) {
  const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  const projections: Projections = openProjections({ path: ':memory:', store });
  await projections.start();
  const system: ActorSystemWithInspection = createActorSystem({
    store,
    readModel: projections.readModel,
    waitFor: (s) => projections.waitFor(s),
    models: fakeModels(model),
    bootstrap: bootstrapPlugin,
    secrets: box,
    settings: { snapshotDelayMs: 20 },
    plugins,
  });
  await system.start();
  cleanup = async () => {
    await system.stop();
    await projections.close();
    await store.close();
  };
  return { store, projections, system, model };
}

describe('with the real projections', () => {
  it('answers once per message, remembers facts and sees the conversation', async () => {
    const { store, system, model, projections } = await setup();
    const agentId = newId();
    const roomId = newId();
    await store.append(`agent-${agentId}`, [
      { id: newId(), type: 'agent.created', data: { agentId, name: 'Ada', character: { name: 'Ada', bio: ['helpful'] } } },
      { id: newId(), type: 'agent.started', data: { agentId } },
    ]);
    await store.append(`room-${roomId}`, [
      { id: newId(), type: 'room.created', data: { roomId, name: 'r', createdBy: 'u' } },
      { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: 'u', kind: 'user', name: 'Alice' } },
      { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: agentId, kind: 'agent', name: 'Ada' } },
    ]);
    const ids: string[] = [];
    for (const text of ['Hello, my name is Sam.', 'What do you know about me?']) {
      const messageId = newId();
      ids.push(messageId);
      await store.append(`room-${roomId}`, [{ id: messageId, type: 'message.posted', data: { messageId, roomId, authorId: 'u', authorKind: 'user', text } }]);
      await system.idle();
    }
    const all = await store.readAll({ limit: 1000 });
    const replies = all.filter((e): e is RecordedEvent<'message.posted'> => e.type === 'message.posted' && e.data.authorKind === 'agent');
    expect(replies.map((r) => r.id)).toEqual(ids.map((m) => derivedId(agentId, m, 'reply')));
    await projections.waitFor(await store.head());
    expect(projections.readModel.listMessages(roomId, { limit: 10 }).map((m) => m.authorKind)).toEqual(['user', 'agent', 'user', 'agent']);
    const last = model.calls.at(-1)!;
    expect(last.context?.facts).toEqual(["Alice's name is Sam"]);
    expect(last.context?.recentMessages.map((m) => m.text)).toEqual(['Hello, my name is Sam.', 'You said: Hello, my name is Sam.']);
  });

  it("a plugin may write to runtime.character: the read model's shared (frozen) agent view is not handed to it", async () => {
    const writer: Plugin = {
      name: 'writer',
      description: 'writes to the character',
      providers: [{ name: 'WRITER', get: (runtime) => (((runtime.character.settings ??= {}).seen = 'yes'), { text: 'wrote' }) }],
    };
    const { store, system } = await setup(new FakeModel(), [writer]);
    const agentId = newId();
    const roomId = newId();
    await store.append(`agent-${agentId}`, [
      { id: newId(), type: 'agent.created', data: { agentId, name: 'Ada', character: { name: 'Ada', bio: ['helpful'], settings: { a: 1 } } } },
      { id: newId(), type: 'agent.started', data: { agentId } },
    ]);
    await store.append(`room-${roomId}`, [
      { id: newId(), type: 'room.created', data: { roomId, name: 'r', createdBy: 'u' } },
      { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: agentId, kind: 'agent', name: 'Ada' } },
    ]);
    const messageId = newId();
    await store.append(`room-${roomId}`, [
      { id: messageId, type: 'message.posted', data: { messageId, roomId, authorId: 'u', authorKind: 'user', text: 'hi' } },
    ]);
    await system.idle();
    const all = await store.readAll({ limit: 1000 });
    expect(all.filter((e) => e.type === 'plugin.failed')).toEqual([]);
    expect(all.filter((e) => e.type === 'message.posted' && e.data.authorKind === 'agent')).toHaveLength(1);
  });
});
