import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/settings/settings.ts';
import { openChronicle, type Chronicle } from '../../src/app/chronicle.ts';
import { ensureAdmin } from '../../src/app/commands/accounts.ts';
import { startServer } from '../../src/transport/server.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { startFakeOpenAI, type FakeServer } from '../support/fake-model-servers.ts';
import { builtIns } from '../../plugins/built-in.ts';

/** Characters of both generations through REST create/update, on the real composition root (fake OpenAI). */
const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '../fixtures/characters', name), 'utf8'));

describe('characters through the API', () => {
  let dir: string;
  let fake: FakeServer;
  let chronicle: Chronicle;
  let server: Awaited<ReturnType<typeof startServer>>;
  let api: ApiClient;
  let token: string;
  const head = async () => (await api.get('/api/v1/health')).body.seq as number;
  const events = async (type: string) => (await api.get(`/api/v1/events?type=${type}&limit=1000`, { token })).body.events as { type: string; data: any }[];

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    dir = mkdtempSync(join(tmpdir(), 'chronicle-characters-'));
    const settings = readSettings({
      MODEL_PROVIDER: 'local',
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'x',
      EMBEDDING_PROVIDER: 'openai',
      DATA_DIR: dir,
      PORT: '0',
      RATE_LIMIT_PER_MIN: '0',
      LOG_LEVEL: 'silent',
    });
    chronicle = await openChronicle(settings, builtIns);
    await ensureAdmin(chronicle, 'admin-password-1');
    server = await startServer(chronicle, { webRoot: false });
    api = apiClient(server.url);
    token = (await api.login('admin', 'admin-password-1')).accessToken;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await chronicle?.close();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates an agent from a v0.x file, answers what was converted and dropped, and the agent chats on the converted provider', async () => {
    const r = await api.post('/api/v1/agents', fixture('mayor-gale.v0.character.json'), { token });
    expect(r.status).toBe(201);
    expect(r.body.conversion.generation).toBe('v0');
    expect(r.body.conversion.converted).toContainEqual({ path: 'modelProvider', to: 'settings.MODEL_PROVIDER', note: '"openai" → "openai"' });
    expect(r.body.conversion.dropped.map((d: { path: string }) => d.path)).toEqual(['clients.0', 'clients.1', 'people']);
    const agent = r.body.agent;
    expect(agent.character.settings).toEqual({ MODEL_PROVIDER: 'openai', model: 'gpt-4o-mini', voice: { model: 'en_US-male-medium' } });
    expect(agent.character.messageExamples[0][1].name).toBe('Mayor Gale');
    expect(JSON.stringify(await events('agent.created'))).not.toContain('sk-fixture-not-a-real-key');
    // Over the API the text item goes in; the file items are skipped (the server does not read its disk on a client's word).
    expect(r.body.knowledge.documents.map((d: { title: string }) => d.title)).toEqual(["Saltmere's pier was rebuilt in the mayor's second term."]);
    expect(r.body.knowledge.skipped).toHaveLength(2);

    const room = (await api.post('/api/v1/rooms', { name: 'town hall', agentIds: [agent.id] }, { token })).body.room;
    expect((await api.post('/api/v1/messages', { roomId: room.id, text: 'When is market day?' }, { token })).status).toBe(202);
    let messages: { authorKind: string; text: string }[] = [];
    for (let i = 0; i < 100 && messages.length < 2; i++) {
      await new Promise((res) => setTimeout(res, 100));
      messages = (await api.get(`/api/v1/rooms/${room.id}/messages`, { token })).body.messages;
    }
    expect(messages.map((m) => m.authorKind)).toEqual(['user', 'agent']);
    // modelProvider "openai" + settings.model reached the wire, though the server's default is local.
    const chat = fake.requests.filter((q) => q.path.endsWith('/chat/completions'));
    expect(chat.at(-1)?.body.model).toBe('gpt-4o-mini');
  }, 30_000);

  it('a v1 character is created as it is, with an empty conversion report', async () => {
    const r = await api.post('/api/v1/agents', fixture('quill.v1.character.json'), { token });
    expect(r.status).toBe(201);
    expect(r.body.conversion).toEqual({ generation: 'v1', markers: [], converted: [], dropped: [], warnings: [] });
  });

  it('an invalid file: every problem (all 11, not 5) with path and hint in one 400, nothing appended', async () => {
    const before = await head();
    const r = await api.post('/api/v1/agents', fixture('broken.v0.character.json'), { token });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_error');
    expect(r.body.error.problems).toHaveLength(11);
    for (const p of r.body.error.problems) expect(p).toEqual({ path: expect.any(String), message: expect.any(String), hint: expect.any(String) });
    expect(r.body.error.problems.map((p: { path: string }) => p.path)).toContain('style.tone');
    expect(r.body.error.message).toMatch(/^invalid character: 11 problems: name: /);
    expect(r.body.error.message).toContain('style.tone: unknown field');
    expect(r.body.error.conversion.generation).toBe('v0');
    expect(await head()).toBe(before);
  });

  it('PATCH: the same file again changes nothing and appends nothing; a v0 patch converts against the stored character', async () => {
    const mayor = (await api.get('/api/v1/agents', { token })).body.agents.find((a: { name: string }) => a.name === 'Mayor Gale');
    const before = await head();
    const same = await api.patch(`/api/v1/agents/${mayor.id}`, fixture('mayor-gale.v0.character.json'), { token });
    expect(same.status).toBe(200);
    expect(same.body.changed).toBe(false);
    expect(same.body.conversion.generation).toBe('v0');
    expect(await head()).toBe(before);

    const updates = (await events('agent.updated')).length;
    const moved = await api.patch(`/api/v1/agents/${mayor.id}`, { modelProvider: 'ollama', clients: ['webhook'] }, { token });
    expect(moved.status).toBe(200);
    expect(moved.body.changed).toBe(true);
    expect(moved.body.agent.character.settings).toEqual({ MODEL_PROVIDER: 'ollama', model: 'gpt-4o-mini', voice: { model: 'en_US-male-medium' } });
    expect(moved.body.agent.character.plugins).toEqual(['@elizaos/plugin-bootstrap', '@elizaos/plugin-webhook']);
    expect(await events('agent.updated')).toHaveLength(updates + 1);
  });
});
