import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdmin } from '../../src/app/commands/accounts.ts';
import { catchUp } from '../../src/app/commands/context.ts';
import { openChronicle, type Chronicle } from '../../src/app/chronicle.ts';
import { readSettings } from '../../src/settings/settings.ts';
import { startServer, type RunningServer } from '../../src/transport/server.ts';
import { startFakeOpenAI, type FakeServer } from '../support/fake-model-servers.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { derivedId } from '../../src/shared/ids.ts';
import { builtIns } from '../../plugins/built-in.ts';

/**
 * Time travel and forks through REST on the real composition root (log, projections, actors, models
 * → an instant fake OpenAI server): as-of reads, a branch of a room answered as if the later messages
 * never happened, an agent forked at a position, and every bad input refused with nothing appended.
 */
let dir: string;
let fake: FakeServer;
let chronicle: Chronicle;
let server: RunningServer;
let api: ApiClient;
let admin: string;
let agentId: string;

const head = async () => (await api.get('/api/v1/health')).body.seq as number;

async function messagesOf(roomId: string, query = ''): Promise<any[]> {
  const r = await api.get(`/api/v1/rooms/${roomId}/messages?limit=200${query}`, { token: admin });
  expect(r.status, r.text).toBe(200);
  return r.body.messages;
}

/** Posts and waits for the agent's answer to it (the fake model answers at once). */
async function exchange(roomId: string, text: string): Promise<{ question: any; answer: any }> {
  const question = (await api.post('/api/v1/messages', { roomId, text }, { token: admin })).body.message;
  for (let i = 0; i < 200; i++) {
    const answer = (await messagesOf(roomId)).find((m) => m.inReplyTo === question.id);
    if (answer) return { question, answer };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no answer to "${text}"`);
}

/** Waits until every message named has its message.embedded in the log. */
async function embedded(messageIds: string[]): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const r = await api.get('/api/v1/events?type=message.embedded&limit=1000', { token: admin });
    const done = new Set((r.body.events as { data: { messageId: string } }[]).map((e) => e.data.messageId));
    if (messageIds.every((id) => done.has(id))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`messages ${messageIds.join(', ')} were not embedded in time`);
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = mkdtempSync(join(tmpdir(), 'chronicle-forks-'));
  chronicle = await openChronicle(
    {
      ...readSettings({ DATA_DIR: dir }),
      host: '127.0.0.1',
      port: 0,
      rateLimitPerMin: 0,
      logLevel: 'silent',
      modelProvider: 'openai',
      openaiBaseUrl: fake.url,
      openaiApiKey: 'x',
      embeddingProvider: 'openai',
    },
    builtIns,
  );
  await ensureAdmin(chronicle, 'admin-password-123');
  server = await startServer(chronicle, { webRoot: false });
  api = apiClient(server.url);
  admin = (await api.login('admin', 'admin-password-123')).accessToken;
  agentId = (await api.post('/api/v1/agents', { name: 'Teller', bio: 'tells things' }, { token: admin })).body.agent.id;
  await api.post(`/api/v1/agents/${agentId}/start`, undefined, { token: admin });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await chronicle?.close();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('branching a room', () => {
  it('(property) a branch at message m holds exactly the source up to m, and its replies never see later messages', async () => {
    const room = (await api.post('/api/v1/rooms', { name: 'source', agentIds: [agentId] }, { token: admin })).body.room;
    for (const word of ['alpha', 'bravo', 'charlie', 'delta']) await exchange(room.id, `the word is ${word}`);
    const source = await messagesOf(room.id);
    expect(source).toHaveLength(8);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: source.length - 1 }), async (i) => {
        const m = source[i];
        const r = await api.post(`/api/v1/rooms/${room.id}/fork`, { atMessageId: m.id }, { token: admin });
        expect(r.status, r.text).toBe(201);
        const fork = r.body.room;
        expect(fork).toMatchObject({ name: 'source (branch)', forkOf: { roomId: room.id, atMessageId: m.id, atSeq: m.seq } });
        expect(fork.participants.map((p: any) => p.id).sort()).toEqual(room.participants.map((p: any) => p.id).sort());
        expect(await messagesOf(fork.id)).toEqual(source.slice(0, i + 1));
        // Paging backwards across the fork point reads the same history.
        expect(await messagesOf(fork.id, `&before=${m.seq}`)).toEqual(source.slice(0, i));
        const requestsBefore = fake.requests.length;
        const { question, answer } = await exchange(fork.id, 'what was the word?');
        expect(await messagesOf(fork.id)).toEqual([...source.slice(0, i + 1), question, answer]);
        // What the model was shown for the branch's turn holds no message after m. (Embedding requests are
        // left out: the message embedder may still be embedding the source room's later messages.)
        const prompts = JSON.stringify(
          fake.requests
            .slice(requestsBefore)
            .filter((q) => q.path.endsWith('/chat/completions'))
            .map((q) => q.body),
        );
        for (const later of source.slice(i + 1)) if (!source.slice(0, i + 1).some((e) => e.text === later.text)) expect(prompts).not.toContain(later.text);
        // And the trace references only the branch's history.
        const traces = (await api.get(`/api/v1/events?type=reply.traced&limit=1000`, { token: admin })).body.events.filter(
          (e: any) => e.data.roomId === fork.id,
        );
        expect(traces).toHaveLength(1);
        const allowed = new Set([...source.slice(0, i + 1), question].map((x) => x.id));
        for (const id of traces[0].data.sources.messageIds) expect(allowed.has(id), `trace references ${id}`).toBe(true);
        // The source is unchanged.
        expect(await messagesOf(room.id)).toEqual(source);
      }),
      { numRuns: 4 },
    );
  }, 60_000);

  it('a branch of a branch reads through both; as-of reads of a branch stop where the log stood', async () => {
    const room = (await api.post('/api/v1/rooms', { name: 'deep', agentIds: [agentId] }, { token: admin })).body.room;
    const one = await exchange(room.id, 'first');
    await exchange(room.id, 'second');
    const b1 = (await api.post(`/api/v1/rooms/${room.id}/fork`, { atMessageId: one.answer.id, name: 'b1' }, { token: admin })).body.room;
    const three = await exchange(b1.id, 'third in b1');
    const b2 = (await api.post(`/api/v1/rooms/${b1.id}/fork`, { atMessageId: three.question.id, name: 'b2' }, { token: admin })).body.room;
    expect((await messagesOf(b2.id)).map((m) => m.text)).toEqual(['first', one.answer.text, 'third in b1']);
    // As of just after b2's own question, before the answer.
    const four = await exchange(b2.id, 'fourth in b2');
    const past = await api.get(`/api/v1/rooms/${b2.id}/messages?asOf=${four.question.seq}`, { token: admin });
    expect(past.status).toBe(200);
    expect(past.body).toMatchObject({ asOf: four.question.seq });
    expect(past.body.messages.map((m: any) => m.text)).toEqual(['first', one.answer.text, 'third in b1', 'fourth in b2']);
    const pastRoom = await api.get(`/api/v1/rooms/${b2.id}?asOf=${four.question.seq}`, { token: admin });
    expect(pastRoom.body.room).toMatchObject({ name: 'b2', forkOf: { roomId: b1.id, atMessageId: three.question.id } });
    // Before b2 existed.
    expect((await api.get(`/api/v1/rooms/${b2.id}/messages?asOf=${three.question.seq}`, { token: admin })).status).toBe(404);
  }, 30_000);
});

describe('facts in a branch', () => {
  it("are the branch's own and the source room's up to the fork, never later ones", async () => {
    const room = (await api.post('/api/v1/rooms', { name: 'facts', agentIds: [agentId] }, { token: admin })).body.room;
    const fact = async (factId: string, roomId: string, text: string) =>
      chronicle.store.append(`agent-${agentId}`, [{ id: factId, type: 'agent.fact_recorded', data: { agentId, roomId, factId, text, sourceMessageIds: [] } }]);
    await fact('fact-early', room.id, 'the user likes tea');
    const { answer } = await exchange(room.id, 'remember the tea');
    await fact('fact-late', room.id, 'the user now likes coffee');
    const branch = (await api.post(`/api/v1/rooms/${room.id}/fork`, { atMessageId: answer.id }, { token: admin })).body.room;
    await fact('fact-own', branch.id, 'the user asked in the branch');
    await catchUp(chronicle);
    const texts = async (roomId: string, q = '') =>
      (await api.get(`/api/v1/agents/${agentId}/facts?roomId=${roomId}${q}`, { token: admin })).body.facts.map((f: any) => f.text);
    expect(await texts(room.id)).toEqual(['the user likes tea', 'the user now likes coffee']);
    expect(await texts(branch.id)).toEqual(['the user likes tea', 'the user asked in the branch']);
    expect(await texts(branch.id, '&limit=1')).toEqual(['the user asked in the branch']);
    // What the turn asks (the hybrid search) stops at the fork too.
    const found = chronicle.readModel.facts(agentId, { roomId: branch.id, query: { text: 'user likes coffee tea', k: 10 }, limit: 10 }).map((f) => f.text);
    expect(found).toContain('the user likes tea');
    expect(found).not.toContain('the user now likes coffee');
  }, 30_000);
});

describe('as-of reads of agents and the actor graph', () => {
  it('character, status, knowledge and the actors as they were', async () => {
    const made = await api.post('/api/v1/agents', { name: 'Sage', bio: 'the old bio' }, { token: admin });
    const id = made.body.agent.id;
    const born = await head();
    await api.post(`/api/v1/agents/${id}/stop`, undefined, { token: admin });
    const created = await head();
    await api.post(`/api/v1/agents/${id}/knowledge`, { title: 'Lava', text: 'Lava is molten rock. It glows when hot.' }, { token: admin });
    const withDoc = await head();
    await api.patch(`/api/v1/agents/${id}`, { name: 'Sage', bio: 'the new bio' }, { token: admin });
    await api.post(`/api/v1/agents/${id}/start`, undefined, { token: admin });
    await api.post(`/api/v1/agents/${id}/knowledge`, { title: 'Ice', text: 'Ice is frozen water.' }, { token: admin });

    const then = await api.get(`/api/v1/agents/${id}?asOf=${created}`, { token: admin });
    expect(then.body).toMatchObject({ asOf: created, agent: { id, status: 'stopped', character: { bio: 'the old bio' } } });
    expect((await api.get(`/api/v1/agents/${id}`, { token: admin })).body.agent).toMatchObject({ status: 'running', character: { bio: 'the new bio' } });
    const docsThen = (await api.get(`/api/v1/agents/${id}/knowledge?asOf=${withDoc}`, { token: admin })).body;
    expect(docsThen.documents.map((d: any) => [d.title, d.status])).toEqual([['Lava', 'ready']]);
    expect((await api.get(`/api/v1/agents/${id}/knowledge?asOf=${created}`, { token: admin })).body.documents).toEqual([]);
    expect((await api.get(`/api/v1/agents/${id}/facts?asOf=${created}`, { token: admin })).body).toEqual({ facts: [], asOf: created });
    expect((await api.get(`/api/v1/agents/${id}?asOf=${born}`, { token: admin })).body.agent).toMatchObject({ status: 'running' });
    const createdAt = (await api.get('/api/v1/events?type=agent.created&limit=1000', { token: admin })).body.events.find((e: any) => e.data.agentId === id).seq;
    const missing = await api.get(`/api/v1/agents/${id}?asOf=${createdAt - 1}`, { token: admin });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(`agent did not exist at seq ${createdAt - 1}`);

    const actorsThen = (await api.get(`/api/v1/actors?asOf=${created}`, { token: admin })).body.actors;
    expect(actorsThen.find((a: any) => a.id === `agent-${id}`)).toMatchObject({ kind: 'agent', name: 'Sage', state: 'stopped' });
    expect((await api.get(`/api/v1/actors?asOf=${createdAt - 1}`, { token: admin })).body.actors.some((a: any) => a.id === `agent-${id}`)).toBe(false);
  }, 30_000);
});

describe('forking an agent', () => {
  it('the fork has the character and knowledge of the position, not what came later', async () => {
    const src = (await api.post('/api/v1/agents', { name: 'Origin', bio: 'version one' }, { token: admin })).body.agent.id;
    await api.post(`/api/v1/agents/${src}/knowledge`, { title: 'Rivers', text: 'Rivers flow to the sea. The Nile is long.' }, { token: admin });
    const at = await head();
    await api.patch(`/api/v1/agents/${src}`, { name: 'Origin', bio: 'version two' }, { token: admin });
    await api.post(`/api/v1/agents/${src}/knowledge`, { title: 'Mountains', text: 'Mountains are high.' }, { token: admin });

    const r = await api.post(`/api/v1/agents/${src}/fork`, { atSeq: at, name: 'Branchling' }, { token: admin });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ agent: { name: 'Branchling', status: 'stopped', character: { bio: 'version one' } }, copied: { documents: 1, facts: 0 } });
    expect(r.body.copied.chunks).toBeGreaterThan(0);
    const forkId = r.body.agent.id;
    const docs = (await api.get(`/api/v1/agents/${forkId}/knowledge`, { token: admin })).body.documents;
    expect(docs.map((d: any) => [d.title, d.status, d.chunks])).toEqual([['Rivers', 'ready', r.body.copied.chunks]]);
    const hits = (await api.get(`/api/v1/agents/${forkId}/knowledge/search?q=Nile`, { token: admin })).body.results;
    expect(hits[0]).toMatchObject({ title: 'Rivers' });
    // Then they diverge: the source keeps its own.
    expect((await api.get(`/api/v1/agents/${src}/knowledge`, { token: admin })).body.documents).toHaveLength(2);
    expect((await api.post(`/api/v1/agents/${src}/fork`, { atSeq: at, name: 'branchling' }, { token: admin })).status).toBe(409);
  }, 30_000);
});

describe('re-asking a recorded turn', () => {
  it('answers the same question in a branch with another model, from the same retrieved inputs', async () => {
    const src = (await api.post('/api/v1/agents', { name: 'Librarian', bio: 'knows books' }, { token: admin })).body.agent.id;
    await api.post(
      `/api/v1/agents/${src}/knowledge`,
      { title: 'Violins', text: 'Violins have four strings. Stradivari made violins in Cremona.' },
      { token: admin },
    );
    const room = (await api.post('/api/v1/rooms', { name: 'library', agentIds: [src] }, { token: admin })).body.room;
    await exchange(room.id, 'hello there');
    const { question, answer } = await exchange(room.id, 'who made violins in Cremona?');
    const traces = async (roomId: string) =>
      (await api.get('/api/v1/events?type=reply.traced&limit=1000', { token: admin })).body.events
        .filter((e: any) => e.data.roomId === roomId)
        .map((e: any) => e.data);
    const [, original] = await traces(room.id);
    expect(original.replyId).toBe(answer.id);
    expect(original.sources.knowledgeChunkIds.length).toBeGreaterThan(0);

    const requestsBefore = fake.requests.length;
    const r = await api.post(`/api/v1/replies/${answer.id}/reask`, { model: 'other-model', character: { adjectives: ['terse'] } }, { token: admin });
    expect(r.status, r.text).toBe(202);
    expect(r.body).toMatchObject({ sourceReplyId: answer.id, sourceRoomId: room.id, sourceTrace: { replyId: answer.id } });
    const { roomId, agentId: forkAgentId, questionId } = r.body;
    let reply: any;
    for (let i = 0; i < 200 && !reply; i++) {
      reply = (await messagesOf(roomId)).find((m) => m.inReplyTo === questionId);
      if (!reply) await new Promise((res) => setTimeout(res, 25));
    }
    expect(reply).toMatchObject({ authorId: forkAgentId });
    // The branch: the history before the question, then the question again, then the new reply.
    const history = await messagesOf(room.id);
    const before = history.filter((m) => m.seq < question.seq);
    expect((await messagesOf(roomId)).map((m) => m.text)).toEqual([...before.map((m) => m.text), question.text, reply.text]);
    const forkRoom = (await api.get(`/api/v1/rooms/${roomId}`, { token: admin })).body.room;
    expect(forkRoom.participants.filter((p: any) => p.kind === 'agent').map((p: any) => p.id)).toEqual([forkAgentId]);
    // The other model was asked; the same inputs were retrieved (the fork's copies of the same chunks).
    expect(fake.requests.slice(requestsBefore).some((q) => q.body.model === 'other-model')).toBe(true);
    const [again] = await traces(roomId);
    expect(again.model).toBe('other-model');
    expect(again.sources.messageIds.map((id: string) => (id === questionId ? question.id : id))).toEqual(original.sources.messageIds);
    expect(again.sources.knowledgeChunkIds).toEqual(original.sources.knowledgeChunkIds.map((id: string) => derivedId('fork', forkAgentId, id)));
    expect((await api.get(`/api/v1/agents/${forkAgentId}`, { token: admin })).body.agent.character.adjectives).toEqual(['terse']);

    const head0 = await head();
    for (const [id, body, status, message] of [
      ['nope', {}, 404, /reply not found/],
      [question.id, {}, 404, /reply not found/],
      [answer.id, { character: { name: 3 } }, 400, /character: name/],
      [answer.id, { character: { settings: { secrets: { KEY: 'x' } } } }, 400, /secrets/],
      [answer.id, { model: '' }, 400, /model/],
    ] as [string, unknown, number, RegExp][]) {
      const bad = await api.post(`/api/v1/replies/${id}/reask`, body, { token: admin });
      expect(bad.status, bad.text).toBe(status);
      expect(bad.body.error.message).toMatch(message);
    }
    expect(await head()).toBe(head0);
  }, 30_000);
});

describe('bad input: a clear 4xx and nothing appended', () => {
  it('asOf, fork and agent fork refusals', async () => {
    const room = (await api.post('/api/v1/rooms', { name: 'guarded', agentIds: [agentId] }, { token: admin })).body.room;
    const other = (await api.post('/api/v1/rooms', { name: 'other' }, { token: admin })).body.room;
    const { question, answer } = await exchange(room.id, 'hello');
    const user = (await api.register('outsider')).accessToken;
    // The two messages' embeddings are appended in the background: wait for them, so that `before` is
    // the head nothing else will move.
    await embedded([question.id, answer.id]);
    const before = await head();
    const cases: [string, string, unknown, number, RegExp][] = [
      ['GET', `/api/v1/rooms/${room.id}/messages?asOf=-1`, undefined, 400, /asOf/],
      ['GET', `/api/v1/rooms/${room.id}/messages?asOf=1.5`, undefined, 400, /asOf/],
      ['GET', `/api/v1/rooms/${room.id}/messages?asOf=x`, undefined, 400, /asOf/],
      ['GET', `/api/v1/rooms/${room.id}/messages?asOf=${before + 1000}`, undefined, 400, /beyond the log's head/],
      ['GET', `/api/v1/agents/${agentId}?asOf=99999999999`, undefined, 400, /beyond/],
      ['GET', `/api/v1/actors?asOf=`, undefined, 400, /asOf/],
      ['GET', `/api/v1/agents/nope?asOf=1`, undefined, 404, /agent not found/],
      ['GET', `/api/v1/rooms/nope/messages?asOf=1`, undefined, 404, /room not found/],
      ['POST', `/api/v1/rooms/nope/fork`, { atMessageId: question.id }, 404, /room not found/],
      ['POST', `/api/v1/rooms/${room.id}/fork`, {}, 400, /atMessageId/],
      ['POST', `/api/v1/rooms/${room.id}/fork`, { atMessageId: 'nope' }, 400, /not a message of room/],
      ['POST', `/api/v1/rooms/${other.id}/fork`, { atMessageId: question.id }, 400, /not a message of room/],
      ['POST', `/api/v1/rooms/${room.id}/fork`, { atMessageId: question.id, name: '' }, 400, /name/],
      ['POST', `/api/v1/agents/nope/fork`, { atSeq: 1, name: 'X1' }, 404, /agent not found/],
      ['POST', `/api/v1/agents/${agentId}/fork`, { atSeq: -1, name: 'X2' }, 400, /atSeq/],
      ['POST', `/api/v1/agents/${agentId}/fork`, { atSeq: 1.5, name: 'X3' }, 400, /atSeq/],
      ['POST', `/api/v1/agents/${agentId}/fork`, { atSeq: '5', name: 'X4' }, 400, /atSeq/],
      ['POST', `/api/v1/agents/${agentId}/fork`, { atSeq: before + 1000, name: 'X5' }, 400, /beyond/],
      ['POST', `/api/v1/agents/${agentId}/fork`, { atSeq: 1, name: 'X6' }, 404, /agent at seq 1 not found/],
      ['POST', `/api/v1/agents/${agentId}/fork`, { atSeq: before }, 400, /name/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const r = await api.request(method, path, { token: admin, body });
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`).toBe(status);
      expect(r.body.error.message, `${method} ${path}`).toMatch(message);
    }
    // A user who cannot see the room can neither read its past nor branch it.
    expect((await api.get(`/api/v1/rooms/${room.id}/messages?asOf=${before}`, { token: user })).status).toBe(404);
    expect((await api.post(`/api/v1/rooms/${room.id}/fork`, { atMessageId: question.id }, { token: user })).status).toBe(404);
    expect((await api.post(`/api/v1/agents/${agentId}/fork`, { atSeq: before, name: 'Nope' }, { token: user })).status).toBe(403);
    // Nothing was appended by any of them.
    expect(await head()).toBe(before);
  }, 30_000);
});
