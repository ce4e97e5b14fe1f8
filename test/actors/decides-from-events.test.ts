import { afterEach, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystemWithInspection } from '../../src/actors/index.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { newId } from '../../src/shared/ids.ts';
import { FakeModel, fakeModels } from './support/fake-models.ts';
import { FakeReadModel } from './support/fake-read-model.ts';
import { box } from './support/harness.ts';
import { bootstrapPlugin } from '../../plugins/bootstrap/index.ts';

/**
 * A turn decides from what the log's events carried (the mailbox entry, the agent's own events, the
 * room actor): the projections are asked only for retrieval (recent messages, knowledge, facts).
 */
class NoMessagesNoCharacters extends FakeReadModel {
  readonly asked: string[] = [];
  override messageById = (id: string): never => this.refuse(`messageById(${id})`);
  override agentById = (id: string): never => this.refuse(`agentById(${id})`);
  override agentByName = (name: string): never => this.refuse(`agentByName(${name})`);
  override roomById = (id: string): never => this.refuse(`roomById(${id})`);
  private refuse(what: string): never {
    this.asked.push(what);
    throw new Error(`a turn asked the read model for ${what}: the events carried it`);
  }
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(options: { holdProjections?: boolean } = {}) {
  const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  const readModel = new NoMessagesNoCharacters(store);
  readModel.start();
  // Held projections: waitFor does not resolve until released (an index that lags behind the log).
  let release!: () => void;
  const released = options.holdProjections ? new Promise<void>((r) => (release = r)) : Promise.resolve();
  const model = new FakeModel();
  const system: ActorSystemWithInspection = createActorSystem({
    store,
    readModel,
    waitFor: async (seq) => (await released, readModel.waitFor(seq)),
    models: fakeModels(model),
    bootstrap: bootstrapPlugin,
    secrets: box,
    settings: { modelTimeoutMs: 2_000, retryBaseMs: 5, restartBaseMs: 10, snapshotDelayMs: 20 },
  });
  await system.start();
  cleanup = async () => {
    release?.();
    await system.stop();
    readModel.close();
    await store.close();
  };
  const agent = async (name: string, bio: string) => {
    const agentId = newId();
    await store.append(`agent-${agentId}`, [
      { id: newId(), type: 'agent.created', data: { agentId, name, character: { name, bio: [bio] } } },
      { id: newId(), type: 'agent.started', data: { agentId } },
    ]);
    return agentId;
  };
  const room = async (members: { id: string; name: string }[]) => {
    const roomId = newId();
    await store.append(`room-${roomId}`, [
      { id: newId(), type: 'room.created', data: { roomId, name: 'r', createdBy: 'u' } },
      { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: 'u', kind: 'user', name: 'Alice' } },
      ...members.map((m) => ({
        id: newId(),
        type: 'room.participant_joined' as const,
        data: { roomId, participantId: m.id, kind: 'agent' as const, name: m.name },
      })),
    ]);
    return roomId;
  };
  const post = async (roomId: string, text: string) => {
    const messageId = newId();
    await store.append(`room-${roomId}`, [{ id: messageId, type: 'message.posted', data: { messageId, roomId, authorId: 'u', authorKind: 'user', text } }]);
    return messageId;
  };
  const events = async () => store.readAll({ afterSeq: 0, limit: 10_000 });
  return { store, readModel, system, model, agent, room, post, events, release: () => release?.() };
}

describe('a turn decides from events', () => {
  it('answers, and answers as the renamed character, without asking the read model for the message or the character', async () => {
    const t = await setup();
    const ada = await t.agent('Ada', 'Ada knows tides.');
    const roomId = await t.room([{ id: ada, name: 'Ada' }]);
    await t.post(roomId, 'hello there');
    await t.system.idle();
    await t.store.append(`agent-${ada}`, [
      { id: newId(), type: 'agent.updated', data: { agentId: ada, name: 'Grace', character: { name: 'Grace', bio: ['Grace knows compilers.'] } } },
    ]);
    await t.post(roomId, 'and now?');
    await t.system.idle();

    expect(t.readModel.asked).toEqual([]);
    const replies = (await t.events())
      .filter((e) => e.type === 'message.posted' && e.data.authorKind === 'agent')
      .map((e) => (e.data as { text: string }).text);
    expect(replies).toEqual(['You said: hello there', 'You said: and now?']);
    const system = (i: number) => t.model.calls[i].messages.find((m) => m.role === 'system')?.content ?? '';
    expect(system(0)).toContain('Ada knows tides.');
    expect(system(1)).toContain('Grace knows compilers.');
    expect(system(1)).not.toContain('Ada knows tides.');
  });

  it('declines while the projections lag behind the log; the one who answers waits only to retrieve', async () => {
    const t = await setup({ holdProjections: true });
    const ada = await t.agent('Ada', 'Ada.');
    const bob = await t.agent('Bob', 'Bob.');
    const roomId = await t.room([
      { id: ada, name: 'Ada' },
      { id: bob, name: 'Bob' },
    ]);
    const messageId = await t.post(roomId, 'Bob, what time is it?');
    // Ada was not named: her decision needs nothing the projections hold, so it is written at once.
    const deadline = Date.now() + 3_000;
    let decided: { agentId: string; respond: boolean }[] = [];
    while (Date.now() < deadline && decided.length === 0) {
      await new Promise((r) => setTimeout(r, 20));
      decided = (await t.events()).filter((e) => e.type === 'reply.decided').map((e) => e.data as { agentId: string; respond: boolean; messageId: string });
    }
    expect(decided).toEqual([expect.objectContaining({ agentId: ada, messageId, respond: false })]);
    // Bob retrieves (recent messages) before he answers: nothing from him until the indexes catch up.
    expect(t.model.calls).toHaveLength(0);
    t.release();
    await t.system.idle();
    const replies = (await t.events()).filter((e) => e.type === 'message.posted' && e.data.authorKind === 'agent');
    expect(replies.map((e) => (e.data as { authorId: string }).authorId)).toEqual([bob]);
    expect(t.readModel.asked).toEqual([]);
  });
});
