import { SqliteEventStore } from '../../../src/events/sqlite/sqlite-event-store.ts';
import type { AnyRecordedEvent, RecordedEvent } from '../../../src/events/envelope.ts';
import type { EventType } from '../../../src/domain/catalogue.ts';
import type { EventStore } from '../../../src/events/store.ts';
import { createActorSystem, type ActorSystemWithInspection } from '../../../src/actors/index.ts';
import type { ActorSystemDeps, ModelSource } from '../../../src/actors/types.ts';
import type { Character } from '../../../src/characters/schema.ts';
import type { Plugin } from '../../../src/plugin-host/types.ts';
import { SecretBox } from '../../../src/shared/secrets.ts';
import { newId } from '../../../src/shared/ids.ts';
import { FakeReadModel } from './fake-read-model.ts';
import { fakeModels } from './fake-models.ts';
import { eventRegistry } from '../../../src/domain/event-registry.ts';
import { bootstrapPlugin } from '../../../plugins/bootstrap/index.ts';

export const box = new SecretBox('test-data-key');

export interface Harness {
  store: EventStore;
  readModel: FakeReadModel;
  system: ActorSystemWithInspection;
  models: ModelSource;
  createAgent(name: string, extra?: Partial<Character>): Promise<string>;
  createRoom(userId: string, agentIds: string[], names?: Record<string, string>): Promise<string>;
  post(roomId: string, authorId: string, text: string, authorKind?: 'user' | 'agent'): Promise<string>;
  /** A one-chunk knowledge document of the agent, embedded as `vector` (its chunk id is `chunk-1`). */
  addDocument(agentId: string, doc: { title: string; text: string; vector: Float32Array<ArrayBuffer> }): Promise<string>;
  events(): Promise<AnyRecordedEvent[]>;
  events<T extends EventType>(type: T): Promise<RecordedEvent<T>[]>;
  /** The agents' messages, in log order. */
  agentReplies(): Promise<RecordedEvent<'message.posted'>[]>;
  close(): Promise<void>;
}

export async function createHarness(
  options: { store?: EventStore; models?: ModelSource; plugins?: Plugin[]; settings?: ActorSystemDeps['settings']; start?: boolean; keepStore?: boolean } = {},
): Promise<Harness> {
  const store = options.store ?? new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  const readModel = new FakeReadModel(store);
  readModel.start();
  const models = options.models ?? fakeModels();
  const system = createActorSystem({
    store,
    readModel,
    waitFor: readModel.waitFor,
    models,
    bootstrap: bootstrapPlugin,
    secrets: box,
    plugins: options.plugins,
    settings: { modelTimeoutMs: 2_000, retryBaseMs: 5, restartBaseMs: 10, snapshotDelayMs: 20, ...options.settings },
  });
  if (options.start !== false) await system.start();
  const agentNames = new Map<string, string>();
  async function readEvents<T extends EventType>(type?: T): Promise<RecordedEvent<T>[]> {
    const all: AnyRecordedEvent[] = [];
    for (let after = 0; ; ) {
      const page = await store.readAll({ afterSeq: after, limit: 1000 });
      if (!page.length) break;
      all.push(...page);
      after = page[page.length - 1].seq;
    }
    return (type ? all.filter((e) => e.type === type) : all) as RecordedEvent<T>[];
  }
  return {
    store,
    readModel,
    system,
    models,
    async createAgent(name, extra = {}) {
      const agentId = newId();
      agentNames.set(agentId, name);
      await store.append(`agent-${agentId}`, [
        { id: newId(), type: 'agent.created', data: { agentId, name, character: { name, bio: [`${name} is a test agent`], ...extra } } },
        { id: newId(), type: 'agent.started', data: { agentId } },
      ]);
      return agentId;
    },
    async createRoom(userId, agentIds, names = {}) {
      const roomId = newId();
      await store.append(`room-${roomId}`, [
        { id: newId(), type: 'room.created', data: { roomId, name: 'test room', createdBy: userId } },
        { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: userId, kind: 'user', name: names[userId] ?? 'Alice' } },
        ...agentIds.map((a) => ({
          id: newId(),
          type: 'room.participant_joined' as const,
          data: { roomId, participantId: a, kind: 'agent' as const, name: agentNames.get(a) ?? names[a] ?? a },
        })),
      ]);
      return roomId;
    },
    async post(roomId, authorId, text, authorKind = 'user') {
      const messageId = newId();
      await store.append(`room-${roomId}`, [{ id: messageId, type: 'message.posted', data: { messageId, roomId, authorId, authorKind, text } }]);
      return messageId;
    },
    async addDocument(agentId, { title, text, vector }) {
      const documentId = newId();
      await store.append(`document-${documentId}`, [
        {
          id: newId(),
          type: 'knowledge.document_added',
          data: { documentId, agentId, title, source: 'text', contentHash: 'a'.repeat(64), chars: text.length, totalChunks: 1 },
        },
        {
          id: newId(),
          type: 'knowledge.chunk_embedded',
          data: { documentId, agentId, chunkId: 'chunk-1', index: 0, text, contentHash: 'b'.repeat(64), model: 'm', vector },
        },
      ]);
      return documentId;
    },
    events: readEvents as Harness['events'],
    async agentReplies() {
      return (await readEvents('message.posted')).filter((e) => e.data.authorKind === 'agent');
    },
    async close() {
      await system.stop();
      readModel.close();
      if (!options.keepStore) await store.close();
    },
  };
}
