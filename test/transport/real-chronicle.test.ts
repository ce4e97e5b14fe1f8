import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/settings/settings.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { connectWs } from '../support/ws-client.ts';

/**
 * The transport on the real composition root (projections, actor system, model registry) with an
 * instant fake OpenAI-compatible model. Skipped, with this reason, while those parts are not in the
 * tree yet — the rest of the transport suite runs on test/support/transport-harness.ts meanwhile.
 */
const parts = [
  'src/projections/index.ts',
  'src/actors/index.ts',
  'src/models/registry.ts',
  'src/knowledge/ingest.ts',
  'src/knowledge/message-embedder.ts',
  'src/characters/index.ts',
];
const ready = parts.every((p) => existsSync(p));
// Variable specifiers: this file must type-check before those modules exist.
const load = (p: string): Promise<any> => import(/* @vite-ignore */ p);

describe.skipIf(!ready)('transport on the real Chronicle (skipped until projections, actors and models exist)', () => {
  let dir: string;
  let fake: any;
  let chronicle: any;
  let server: any;
  let api: ApiClient;

  beforeAll(async () => {
    const { startFakeOpenAI } = await load('../support/fake-model-servers.ts');
    fake = await startFakeOpenAI();
    dir = mkdtempSync(join(tmpdir(), 'chronicle-transport-'));
    const settings = readSettings({
      MODEL_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'x',
      EMBEDDING_PROVIDER: 'openai',
      DATA_DIR: dir,
      PORT: '0',
      RATE_LIMIT_PER_MIN: '0',
      LOG_LEVEL: 'silent',
      ADMIN_PASSWORD: 'admin-password-1',
    });
    chronicle = await (await load('../../src/app/chronicle.ts')).openChronicle(settings, (await load('../../plugins/built-in.ts')).builtIns);
    await (await load('../../src/app/bootstrap.ts')).bootstrap(chronicle);
    server = await (await load('../../src/transport/server.ts')).startServer(chronicle, { webRoot: false });
    api = apiClient(server.url);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await chronicle?.close();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('register, room with the default agent, message over WebSocket, streamed reply, history', async () => {
    const me = await api.register('realuser');
    const agents = (await api.get('/api/v1/agents', { token: me.accessToken })).body.agents;
    expect(agents.length).toBeGreaterThan(0);
    const room = (await api.post('/api/v1/rooms', { name: 'real', agentIds: [agents[0].id] }, { token: me.accessToken })).body.room;
    const s = await connectWs(server.url.replace(/^http/, 'ws') + '/ws', me.accessToken);
    s.send({ type: 'subscribe', roomId: room.id });
    await s.next((f) => f.type === 'subscribed');
    s.send({ type: 'message', roomId: room.id, text: 'hello there', clientMessageId: 'r1' });
    const ack = await s.next((f) => f.type === 'ack');
    const reply = await s.next((f) => f.type === 'message' && f.message.authorKind === 'agent', 20_000);
    expect(reply.message.inReplyTo).toBe(ack.messageId);
    const history = (await api.get(`/api/v1/rooms/${room.id}/messages`, { token: me.accessToken })).body.messages;
    expect(history.map((m: any) => m.id)).toEqual(expect.arrayContaining([ack.messageId, reply.message.id]));
    s.close();
  }, 30_000);

  it('health.seq is the log head and does not move while idle', async () => {
    // Idle first: the previous tests' messages are still being embedded in the background (message
    // embedding gathers for 25 ms per request, then appends message.embedded). Bounded: 5 s.
    await chronicle.actors.idle();
    let a = (await api.get('/api/v1/health')).body.seq;
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = (await api.get('/api/v1/health')).body.seq;
      if (now === a) break;
      a = now;
    }
    await new Promise((r) => setTimeout(r, 300));
    const b = (await api.get('/api/v1/health')).body.seq;
    expect(b).toBe(a);
  });
});
