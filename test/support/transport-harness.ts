import { Subject } from 'rxjs';
import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import type { AnyRecordedEvent } from '../../src/events/envelope.ts';
import { readSettings, type Settings } from '../../src/settings/settings.ts';
import { ensureAdmin } from '../../src/app/commands/accounts.ts';
import { derivedId, newId, sha256Hex } from '../../src/shared/ids.ts';
import { SecretBox } from '../../src/shared/secrets.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { startServer, type RunningServer } from '../../src/transport/server.ts';
import type { Ephemeral, ServerOptions, TransportChronicle } from '../../src/transport/types.ts';
import { FakeReadModel } from './transport-fake-read-model.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

/** A deterministic toy embedder: hashed bag of words in 16 dimensions. */
export function fakeEmbed(text: string): Float32Array {
  const v = new Float32Array(16);
  for (const w of text.toLowerCase().split(/\W+/).filter(Boolean)) v[parseInt(sha256Hex(w).slice(0, 2), 16) % 16] += 1;
  return v.some((x) => x !== 0) ? v : (v.fill(1), v);
}

/**
 * Stands in for the actor system: every running agent in a room answers each user message once with
 * "echo: <text>" (deterministic reply id, like the real one), after typing + reply.delta frames word by
 * word, and records a model.called event. `silent` agents (by name) never answer.
 */
function fakeActors(store: SqliteEventStore, readModel: FakeReadModel, opts: { silentAgents?: string[] } = {}) {
  const ephemeral$ = new Subject<Ephemeral>();
  const sub = store.subscribe(0).subscribe((e: AnyRecordedEvent) => {
    if (e.type !== 'message.posted' || e.data.authorKind !== 'user') return;
    void readModel.waitFor(e.seq).then(async () => {
      const room = readModel.roomById(e.data.roomId);
      for (const p of room?.participants ?? []) {
        if (p.kind !== 'agent') continue;
        const agent = readModel.agentById(p.id);
        if (!agent || agent.status !== 'running' || agent.deleted || opts.silentAgents?.includes(agent.name)) continue;
        const text = `echo: ${e.data.text}`;
        ephemeral$.next({ type: 'typing', roomId: e.data.roomId, agentId: p.id });
        for (const word of text.split(/(?<= )/))
          ephemeral$.next({ type: 'reply.delta', roomId: e.data.roomId, agentId: p.id, replyTo: e.data.messageId, delta: word });
        const replyId = derivedId(p.id, e.data.messageId, 'reply');
        await store.append(`room-${e.data.roomId}`, [
          {
            id: derivedId(replyId, 'model'),
            type: 'model.called',
            data: { agentId: p.id, provider: 'fake', model: 'echo', kind: 'text', ok: true, latencyMs: 3 },
          },
          {
            id: replyId,
            type: 'message.posted',
            data: { messageId: replyId, roomId: e.data.roomId, authorId: p.id, authorKind: 'agent', text, inReplyTo: e.data.messageId },
            meta: { author: { kind: 'agent', id: p.id } },
          },
        ]);
      }
    });
  });
  return {
    ephemeral$,
    graph: () => [{ id: 'system', kind: 'system', state: 'running', children: [] }],
    stop: () => sub.unsubscribe(),
  };
}

export interface TestServer {
  url: string;
  wsUrl: string;
  chronicle: TransportChronicle;
  store: SqliteEventStore;
  server: RunningServer;
  adminPassword: string;
  /** The fake OpenAI server the real actors' models talk to (actors: 'real'): its `requests` show what the model received. */
  modelServer?: import('./fake-model-servers.ts').FakeServer;
  close(): Promise<void>;
}

/**
 * The real actor system (src/actors) and model registry (src/models) on the fake read model, talking
 * to an instant fake OpenAI-compatible server: the agent path as in production except projections.
 */
async function realActors(store: SqliteEventStore, readModel: FakeReadModel, settings: Settings, secrets: SecretBox) {
  const { startFakeOpenAI } = await import('./fake-model-servers.ts');
  const { createActorSystem } = await import('../../src/actors/index.ts');
  const { createModelRegistry } = await import('../../src/models/registry.ts');
  const { builtIns } = await import('../../plugins/built-in.ts');
  const fake = await startFakeOpenAI();
  const modelSettings: Settings = { ...settings, modelProvider: 'openai', openaiBaseUrl: fake.url, openaiApiKey: 'x', embeddingProvider: 'openai' };
  const models = createModelRegistry(modelSettings, { factories: builtIns.providers });
  const system = createActorSystem({
    store,
    readModel,
    waitFor: (seq) => readModel.waitFor(seq),
    models,
    bootstrap: builtIns.bootstrap,
    secrets,
    settings: modelSettings,
  });
  await system.start();
  return {
    ephemeral$: system.ephemeral$,
    graph: () => system.graph(),
    embedder: () => models.embedder(),
    modelServer: fake,
    stop: async () => {
      await system.stop();
      await models.close();
      await fake.close();
    },
  };
}

/**
 * TRANSPORT_BACKEND=chronicle runs a suite against the real composition root (openChronicle: SQLite
 * log and read DB in a temp dir, projections, actors, models → instant fake OpenAI server) instead of
 * the in-memory harness. Harness-only knobs (silentAgents, the echo text) do not apply there.
 */
async function startOnChronicle(overrides: Partial<Settings>, options: ServerOptions): Promise<TestServer> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startFakeOpenAI } = await import('./fake-model-servers.ts');
  const { openChronicle } = await import('../../src/app/chronicle.ts');
  const { builtIns } = await import('../../plugins/built-in.ts');
  const fake = await startFakeOpenAI();
  const dir = mkdtempSync(join(tmpdir(), 'chronicle-transport-'));
  const settings: Settings = {
    ...readSettings({ DATA_DIR: dir }),
    host: '127.0.0.1',
    port: 0,
    rateLimitPerMin: 0,
    logLevel: 'silent',
    modelProvider: 'openai',
    openaiBaseUrl: fake.url,
    openaiApiKey: 'x',
    embeddingProvider: 'openai',
    ...overrides,
  };
  const chronicle = await openChronicle(settings, builtIns);
  const adminPassword = 'admin-password-123';
  await ensureAdmin(chronicle, adminPassword);
  const server = await startServer(chronicle, { webRoot: false, ...options });
  return {
    url: server.url,
    wsUrl: server.url.replace(/^http/, 'ws') + '/ws',
    chronicle,
    store: chronicle.store as SqliteEventStore,
    server,
    adminPassword,
    modelServer: fake,
    async close() {
      await server.close();
      await chronicle.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startTestServer(
  overrides: Partial<Settings> = {},
  options: ServerOptions & { silentAgents?: string[]; actors?: 'fake' | 'real' } = {},
): Promise<TestServer> {
  if (process.env.TRANSPORT_BACKEND === 'chronicle') return startOnChronicle(overrides, options);
  const settings: Settings = { ...readSettings({}), host: '127.0.0.1', port: 0, rateLimitPerMin: 0, logLevel: 'silent', ...overrides };
  const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
  const readModel = new FakeReadModel();
  readModel.start(store);
  const secrets = new SecretBox('test-data-key-0123456789abcdef0123456789');
  const actors =
    options.actors === 'real'
      ? await realActors(store, readModel, settings, secrets)
      : { ...fakeActors(store, readModel, options), embedder: undefined, modelServer: undefined };
  const chronicle: TransportChronicle = {
    settings,
    logger: silentLogger,
    store,
    projections: { waitFor: (seq) => readModel.waitFor(seq) },
    readModel,
    secrets,
    jwtSecret: 'test-jwt-secret-0123456789abcdef0123456789',
    actors,
    models: { embedder: () => actors.embedder?.() ?? { embed: async (texts: string[]) => texts.map(fakeEmbed) } },
    knowledge: {
      async ingest(input) {
        const documentId = input.documentId ?? newId();
        const chunks = input.text.split(/\n\n+/).filter((t) => t.trim());
        const stream = `document-${documentId}`;
        const contentHash = sha256Hex(input.text);
        await store.append(stream, [
          {
            id: newId(),
            type: 'knowledge.document_added',
            data: {
              documentId,
              agentId: input.agentId,
              title: input.title,
              source: input.source ?? 'text',
              ...(input.url ? { url: input.url } : {}),
              contentHash,
              chars: input.text.length,
              totalChunks: chunks.length,
            },
          },
          ...chunks.map((text, index) => ({
            id: derivedId(documentId, String(index)),
            type: 'knowledge.chunk_embedded' as const,
            data: {
              documentId,
              agentId: input.agentId,
              chunkId: derivedId(documentId, String(index)),
              index,
              text,
              contentHash: sha256Hex(text),
              model: 'fake',
              vector: fakeEmbed(text),
            },
          })),
          { id: newId(), type: 'knowledge.document_ready', data: { documentId, agentId: input.agentId, chunks: chunks.length } },
        ]);
        return { documentId, chunks: chunks.length };
      },
      async remove(input) {
        await store.append(`document-${input.documentId}`, [
          { id: newId(), type: 'knowledge.document_removed', data: { documentId: input.documentId, agentId: input.agentId } },
        ]);
      },
    },
    startedAt: Date.now(),
  };
  const adminPassword = 'admin-password-123';
  await ensureAdmin(chronicle, adminPassword);
  const server = await startServer(chronicle, { webRoot: false, ...options });
  return {
    url: server.url,
    wsUrl: server.url.replace(/^http/, 'ws') + '/ws',
    chronicle,
    store,
    server,
    adminPassword,
    modelServer: actors.modelServer,
    async close() {
      await server.close();
      await actors.stop();
      readModel.stop();
      await store.close();
    },
  };
}
