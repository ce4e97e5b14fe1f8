import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { openProjections, type Projections } from '../../src/projections/index.ts';
import { createElizaRuntime, worldIdOf, type ElizaRuntime } from '../../src/plugin-host/eliza-runtime/index.ts';
import { createPluginHost } from '../../src/plugin-host/host.ts';
import type { ModelProvider } from '../../src/models/provider.ts';
import type { Plugin, PluginEffect, PluginRuntime } from '../../src/plugin-host/types.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { newId } from '../../src/shared/ids.ts';
import { FakeModel } from '../actors/support/fake-models.ts';
import { FakeEmbedder } from '../support/fake-embedder.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

/** The runtime's methods one by one, over the real store and projections (no actor system). */
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(plugins: Plugin[] = [], provider: ModelProvider = new FakeModel()) {
  const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  const projections: Projections = openProjections({ path: ':memory:', store });
  await projections.start();
  cleanup = async () => {
    await projections.close();
    await store.close();
  };
  const agentId = newId();
  await store.append(`agent-${agentId}`, [{ id: newId(), type: 'agent.created', data: { agentId, name: 'Ada', character: { name: 'Ada', bio: ['x'] } } }]);
  const effects: PluginEffect[] = [];
  const failures: { plugin: string; component: string; error: string }[] = [];
  const base: PluginRuntime = {
    agentId,
    character: { name: 'Ada', bio: ['x'], settings: { COLOR: 'blue' } },
    getSetting: (k) => (k === 'COLOR' ? 'blue' : undefined),
    useModel: async (type, params) =>
      (
        await provider.generateText({
          modelType: type === 'TEXT_SMALL' ? 'TEXT_SMALL' : 'TEXT_LARGE',
          messages: [{ role: 'user', content: params.prompt ?? '' }],
        })
      ).text,
    getService: () => undefined,
    queries: { recentMessages: async () => [], knowledge: async () => [], facts: async () => [] },
    record: (e) => void effects.push(e),
  };
  const runtime: ElizaRuntime = createElizaRuntime({
    base,
    host: createPluginHost(plugins),
    store,
    readModel: projections.readModel,
    waitFor: (s) => projections.waitFor(s),
    embedder: () => new FakeEmbedder(16),
    textProvider: () => provider,
    logger: silentLogger,
    cache: new Map(),
    services: new Map(),
    conversationLength: 7,
    onPluginFailure: (f) => void failures.push(f),
  });
  return { store, projections, runtime, agentId, effects, failures };
}

describe('the ElizaOS runtime, method by method', () => {
  it('useModel dispatches on the model type', async () => {
    const provider = new FakeModel('fake', (p) => `text for ${p.modelType}`);
    (provider as ModelProvider).generateObject = async () => ({ object: { ok: true }, model: 'm', usage: { promptTokens: 0, completionTokens: 0 } });
    const { runtime } = await setup([{ name: 'img', description: '', models: { IMAGE: async () => 'an image' } }], provider);
    const v = await runtime.useModel('TEXT_EMBEDDING', { text: 'hello world' });
    expect(Array.isArray(v) && v.length === 16 && typeof v[0] === 'number').toBe(true);
    expect(await runtime.useModel('TEXT_EMBEDDING', null)).toEqual(new Array(16).fill(0));
    expect((await runtime.useModel('TEXT_EMBEDDING', { texts: ['a', 'b'] })).length).toBe(2);
    expect(await runtime.useModel('OBJECT_SMALL', { prompt: 'give json' })).toEqual({ ok: true });
    expect(await runtime.useModel('TEXT_SMALL', { prompt: 'hi' })).toBe('text for TEXT_SMALL');
    expect(await runtime.useModel('TEXT_REASONING_LARGE', { prompt: 'hi' })).toBe('text for TEXT_LARGE');
    expect(await runtime.useModel('IMAGE', { prompt: 'a cat' })).toBe('an image');
    await expect(runtime.useModel('TRANSCRIPTION', {})).rejects.toThrow(/no plugin of agent Ada handles model type TRANSCRIPTION/);
  });

  it('ensureConnection appends what is missing once; rooms, entities and worlds map onto Chronicle', async () => {
    const { runtime, store, agentId } = await setup();
    const roomId = newId();
    const worldId = newId();
    const conn = { entityId: 'discord-user-1', roomId, worldId, userName: 'carol', name: 'Carol', source: 'discord', channelId: 'general' };
    await runtime.ensureConnection(conn);
    await runtime.ensureConnection(conn);
    const roomEvents = (await store.readAll({ limit: 100 })).filter((e) => e.stream === `room-${roomId}`);
    expect(roomEvents.map((e) => e.type)).toEqual(['room.created', 'room.participant_joined', 'room.participant_joined']);
    expect(await runtime.getRoom(roomId)).toMatchObject({ id: roomId, name: 'general', type: 'DM', worldId: worldIdOf(agentId), source: 'chronicle' });
    expect(await runtime.getEntityById('discord-user-1')).toMatchObject({ id: 'discord-user-1', names: ['Carol'] });
    expect(await runtime.getEntityById(agentId)).toMatchObject({ names: ['Ada'], metadata: { kind: 'agent' } });
    expect(await runtime.getEntityById('nobody')).toBeNull();
    expect((await runtime.getParticipantsForRoom(roomId)).sort()).toEqual([agentId, 'discord-user-1'].sort());
    expect(await runtime.getWorld(worldId)).toMatchObject({ id: worldId, agentId });
    expect(await runtime.getRoom(newId())).toBeNull();
  });

  it('memories: create, read back, search by embedding, update, delete — all through events', async () => {
    const { runtime, store, agentId } = await setup();
    const roomId = newId();
    const m = await runtime.addEmbeddingToMemory({ entityId: agentId, roomId, content: { text: 'penguins live in the south' } });
    const id = await runtime.createMemory(m, 'facts');
    expect(await runtime.getMemoryById(id)).toMatchObject({ id, roomId, content: { text: 'penguins live in the south' } });
    const hits = await runtime.searchMemories({ tableName: 'facts', embedding: m.embedding, count: 1 });
    expect(hits.map((h) => h.id)).toEqual([id]);
    expect(hits[0].similarity).toBeCloseTo(1, 5);
    expect(await runtime.updateMemory({ id, content: { text: 'penguins live in Antarctica' } })).toBe(true);
    expect((await runtime.getMemoryById(id))?.content.text).toBe('penguins live in Antarctica');
    expect(await runtime.countMemories(roomId, false, 'facts')).toBe(1);
    await runtime.deleteMemory(id);
    expect(await runtime.getMemoryById(id)).toBeNull();
    expect((await store.readAll({ limit: 100 })).map((e) => e.type).filter((t) => t.startsWith('memory.'))).toEqual([
      'memory.created',
      'memory.updated',
      'memory.deleted',
    ]);
    await expect(runtime.searchMemories({ tableName: 'facts', embedding: [] })).rejects.toThrow(/embedding must be a non-empty array/);
  });

  it("events reach every plugin's handlers with the runtime; a throwing handler is a plugin failure", async () => {
    const heard: string[] = [];
    const a: Plugin = {
      name: 'a',
      description: '',
      events: { PING: [async (p) => void heard.push(`a:${(p.runtime as ElizaRuntime).agentId === p.agentId}`)] },
    };
    const b: Plugin = {
      name: 'b',
      description: '',
      events: {
        PING: [
          () => {
            throw new Error('b broke');
          },
        ],
      },
    };
    const { runtime, agentId, failures } = await setup([a, b]);
    runtime.forPlugin('c').registerEvent('PING', async (p: { value: number }) => void heard.push(`c:${p.value}`));
    await runtime.emitEvent('PING', { agentId, value: 7 });
    expect(heard).toEqual(['a:true', 'c:7']);
    expect(failures).toEqual([{ plugin: 'b', component: 'event:PING', error: 'b broke' }]);
  });

  it('composeState, settings, the cache and room modes', async () => {
    const p: Plugin = {
      name: 'p',
      description: '',
      providers: [
        { name: 'ONE', get: async () => ({ text: 'one', values: { one: 1 } }) },
        { name: 'TWO', dynamic: true, get: async () => ({ text: 'two', values: { two: 2 } }) },
      ],
    };
    const { runtime, effects } = await setup([p]);
    const msg = { id: 'm', entityId: 'u', agentId: runtime.agentId, roomId: 'r', content: { text: 'hi' } };
    expect((await runtime.composeState(msg)).values).toMatchObject({ one: 1 });
    expect((await runtime.composeState(msg)).values.two).toBeUndefined();
    expect((await runtime.composeState(msg, ['TWO'], true)).text).toBe('two');
    expect(runtime.getConversationLength()).toBe(7);
    expect(runtime.getSetting('COLOR')).toBe('blue');
    expect(runtime.getSetting('MISSING')).toBeNull();
    expect(runtime.getService('nothing')).toBeNull();
    const value = { n: 1 };
    await runtime.setCache('k', value);
    value.n = 2; // the cache holds a copy, as across a worker boundary
    expect(await runtime.getCache('k')).toEqual({ n: 1 });
    expect(await runtime.deleteCache('k')).toBe(true);
    expect(await runtime.getCache('k')).toBeUndefined();
    await runtime.setParticipantUserState('r', runtime.agentId, 'MUTED');
    expect(effects).toEqual([{ kind: 'room_mode', roomId: 'r', mode: 'muted' }]);
  });
});
