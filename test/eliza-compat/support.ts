import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import type { AnyRecordedEvent, RecordedEvent } from '../../src/events/envelope.ts';
import type { EventType } from '../../src/domain/catalogue.ts';
import { openProjections, type Projections } from '../../src/projections/index.ts';
import { createActorSystem, type ActorSystemWithInspection } from '../../src/actors/index.ts';
import type { ModelSource } from '../../src/actors/types.ts';
import type { ModelProvider } from '../../src/models/provider.ts';
import type { Plugin, ServiceClass } from '../../src/plugin-host/types.ts';
import { createLogger, type Logger } from '../../src/shared/logger.ts';
import { newId } from '../../src/shared/ids.ts';
import { FakeModel } from '../actors/support/fake-models.ts';
import { box } from '../actors/support/harness.ts';
import { FakeEmbedder } from '../support/fake-embedder.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { bootstrapPlugin } from '../../plugins/bootstrap/index.ts';

/**
 * One agent with real ElizaOS plugins, in-process, over the real event store and projections (the
 * memories table and its vectors are part of what is tested). Plugins are given to the agent through
 * the actor system's `plugins` seam; their services are started per agent with the agent's runtime
 * (runtime.registerService) from a wrapped init — the operator-facing per-agent services are another
 * part of issue 14, and this way these tests do not depend on it.
 */
export interface ElizaWorld {
  store: SqliteEventStore;
  projections: Projections;
  system: ActorSystemWithInspection;
  model: FakeModel;
  agentId: string;
  roomId: string;
  userId: string;
  logs: Record<string, unknown>[];
  /** Posts a user message, waits for the agent, returns the agent's reply text (or undefined). */
  chat(text: string): Promise<string | undefined>;
  events(): Promise<AnyRecordedEvent[]>;
  events<T extends EventType>(type: T): Promise<RecordedEvent<T>[]>;
  close(): Promise<void>;
}

/** The plugin, its services started for the agent in its init (see above), none left for the system. */
export function withAgentServices(plugin: Plugin, stopped: (() => Promise<void> | void)[] = []): Plugin {
  const services = plugin.services ?? [];
  return {
    ...plugin,
    services: [],
    async init(config, runtime) {
      await plugin.init?.(config, runtime);
      const rt = runtime as unknown as { registerService(s: ServiceClass): Promise<void>; getService(t: string): { stop?(): unknown } | null };
      for (const s of services) {
        await rt.registerService(s);
        stopped.push(async () => void (await rt.getService(s.serviceType)?.stop?.()));
      }
    },
  };
}

export async function elizaWorld(options: {
  plugins: Plugin[];
  settings?: Record<string, unknown>;
  model?: FakeModel;
  provider?: ModelProvider;
  embedder?: { model: string; embed(texts: string[]): Promise<Float32Array[]> };
  name?: string;
}): Promise<ElizaWorld> {
  const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  const projections = openProjections({ path: ':memory:', store });
  await projections.start();
  const model = options.model ?? new FakeModel();
  const embedder = options.embedder ?? new FakeEmbedder(32);
  const models: ModelSource = { forCharacter: () => options.provider ?? model, embedder: () => embedder };
  const logs: Record<string, unknown>[] = [];
  const logger: Logger = createLogger('debug', {}, (line) => (logs.push(JSON.parse(line)), true));
  const stops: (() => Promise<void> | void)[] = [];
  const plugins = options.plugins.map((p) => withAgentServices(p, stops));
  const system = createActorSystem({
    store,
    readModel: projections.readModel,
    waitFor: (s) => projections.waitFor(s),
    models,
    bootstrap: bootstrapPlugin,
    secrets: box,
    logger,
    plugins,
    settings: { snapshotDelayMs: 20, modelTimeoutMs: 5_000 },
  });
  await system.start();
  const agentId = newId();
  const roomId = newId();
  const userId = newId();
  const name = options.name ?? 'Ada';
  await store.append(`account-${userId}`, [
    { id: newId(), type: 'account.registered', data: { accountId: userId, username: 'alice', name: 'Alice', role: 'user', passwordHash: 'enc:v1:x:y:z' } },
  ]);
  await store.append(`agent-${agentId}`, [
    { id: newId(), type: 'agent.created', data: { agentId, name, character: { name, bio: [`${name} keeps notes`], settings: options.settings ?? {} } } },
    { id: newId(), type: 'agent.started', data: { agentId } },
  ]);
  await store.append(`room-${roomId}`, [
    { id: newId(), type: 'room.created', data: { roomId, name: 'study', createdBy: userId } },
    { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: userId, kind: 'user', name: 'Alice' } },
    { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: agentId, kind: 'agent', name } },
  ]);
  async function readEvents<T extends EventType>(type?: T): Promise<RecordedEvent<T>[]> {
    const all = await store.readAll({ limit: 100_000 });
    return (type ? all.filter((e) => e.type === type) : all) as RecordedEvent<T>[];
  }
  return {
    store,
    projections,
    system,
    model,
    agentId,
    roomId,
    userId,
    logs,
    async chat(text) {
      const messageId = newId();
      await store.append(`room-${roomId}`, [
        { id: messageId, type: 'message.posted', data: { messageId, roomId, authorId: userId, authorKind: 'user', text } },
      ]);
      await system.idle();
      await projections.waitFor(await store.head());
      const replies = (await readEvents('message.posted')).filter((e) => e.data.inReplyTo === messageId);
      return replies.at(-1)?.data.text;
    },
    events: readEvents as ElizaWorld['events'],
    async close() {
      await system.stop();
      for (const stop of stops) await stop();
      await projections.close();
      await store.close();
    },
  };
}
