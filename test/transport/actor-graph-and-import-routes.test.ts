import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient, type ApiClient } from '../support/http-client.ts';
import { exportAgent } from '../../src/portable/export-agent.ts';

/**
 * The actor graph as the web client draws it (names, mailbox depth, room membership, a statechart per
 * actor with its current state) and the admin route that imports an agent export (issue 18, 5–6).
 */
let t: TestServer;
let api: ApiClient;
let admin: string;
let operator: string;
let agentId: string;
let roomId: string;

beforeAll(async () => {
  t = await startTestServer({}, { actors: 'real' });
  api = apiClient(t.url);
  admin = (await api.login('admin', t.adminPassword)).accessToken;
  await api.post('/api/v1/accounts', { username: 'olive', password: 'olive-password-1', role: 'operator' }, { token: admin });
  operator = (await api.login('olive', 'olive-password-1')).accessToken;
  agentId = (await api.post('/api/v1/agents', { name: 'Grace', bio: 'helpful' }, { token: admin })).body.agent.id;
  roomId = (await api.post('/api/v1/rooms', { name: 'graph room', agentIds: [agentId] }, { token: admin })).body.room.id;
}, 30_000);
afterAll(async () => t?.close());

describe('GET /api/v1/actors and /api/v1/actors/:id/machine', () => {
  it('names the actors, gives an agent its mailbox depth and a room its members', async () => {
    const { actors } = (await api.get('/api/v1/actors', { token: operator })).body;
    expect(actors.find((a: any) => a.id === `agent-${agentId}`)).toMatchObject({ kind: 'agent', name: 'Grace', mailbox: 0, value: 'running' });
    const room = actors.find((a: any) => a.id === `room-${roomId}`);
    expect(room).toMatchObject({ kind: 'room', name: 'graph room' });
    expect(room.participants).toContainEqual({ id: agentId, kind: 'agent', name: 'Grace' });
  });

  it('answers the statechart from the machine definition with the current state lit and the last events', async () => {
    const r = await api.get(`/api/v1/actors/agent-${agentId}/machine`, { token: operator });
    expect(r.status).toBe(200);
    const { machine, active, lastEvents, actor } = r.body;
    expect(actor).toMatchObject({ id: `agent-${agentId}`, name: 'Grace' });
    expect(machine.states.map((s: any) => s.key).sort()).toEqual(['deleted', 'running', 'stopped']);
    const stopped = machine.states.find((s: any) => s.key === 'stopped');
    expect(stopped.transitions).toContainEqual({ event: 'STARTED', targets: ['agent.running'] });
    expect(active).toEqual(['agent', 'agent.running']);
    expect(lastEvents[0].stream).toBe(`agent-${agentId}`);
    expect(lastEvents.map((e: any) => e.type)).toContain('agent.created');

    await api.post(`/api/v1/agents/${agentId}/stop`, {}, { token: admin });
    // The actor folds the stop from the log a moment after the route answers.
    let after: any;
    for (let i = 0; i < 100; i++) {
      after = (await api.get(`/api/v1/actors/agent-${agentId}/machine`, { token: operator })).body;
      if (after.active.includes('agent.stopped')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(after.active).toEqual(['agent', 'agent.stopped']);
    expect(after.lastEvents[0].type).toBe('agent.stopped');
    await api.post(`/api/v1/agents/${agentId}/start`, {}, { token: admin });
  });

  it('404 for an unknown actor, 403 for a user', async () => {
    expect((await api.get('/api/v1/actors/agent-nope/machine', { token: operator })).status).toBe(404);
    await api.post('/api/v1/auth/register', { username: 'uma', password: 'uma-password-1' });
    const user = (await api.login('uma', 'uma-password-1')).accessToken;
    expect((await api.get('/api/v1/actors/system/machine', { token: user })).status).toBe(403);
  });
});

describe('POST /api/v1/admin/agents/import', () => {
  const KEY = 'route-test-export-key';
  async function exported(withRooms = false): Promise<string> {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    await exportAgent(t.store, agentId, out, { key: { hmacKey: KEY }, withRooms });
    out.end();
    return text;
  }

  it('admins only; a tampered file is a 400 with nothing appended; the same file again appends nothing', async () => {
    const file = await exported();
    expect((await api.post('/api/v1/admin/agents/import', { file, key: KEY }, { token: operator })).status).toBe(403);
    const head = await t.store.head();
    const tampered = file.replace('"name":"Grace"', '"name":"Grace!"');
    const refused = await api.post('/api/v1/admin/agents/import', { file: tampered, key: KEY }, { token: admin });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/hash chain broken/);
    expect((await api.post('/api/v1/admin/agents/import', { file, key: 'the-wrong-key-here' }, { token: admin })).status).toBe(400);
    expect((await api.post('/api/v1/admin/agents/import', { file }, { token: admin })).status).toBe(400);
    // Its own agent back: every id is already here, nothing appended.
    const again = await api.post('/api/v1/admin/agents/import', { file, key: KEY }, { token: admin });
    expect(again.status).toBe(200);
    expect(again.body.import).toMatchObject({ agentId, appended: 0 });
    expect(await t.store.head()).toBe(head);
    // Remapped under a new name: a second agent, running here.
    const copy = await api.post('/api/v1/admin/agents/import', { file, key: KEY, remap: true, name: 'Grace II' }, { token: admin });
    expect(copy.status).toBe(201);
    expect((await api.get(`/api/v1/agents/${copy.body.import.agentId}`, { token: admin })).body.agent.name).toBe('Grace II');
  });

  it('an agent imported with its rooms into a live server does not answer their past messages again', async () => {
    const posted = await api.post('/api/v1/messages', { roomId, text: 'a question before the export' }, { token: admin });
    expect(posted.status).toBe(202);
    const replied = async (room: string) =>
      ((await api.get(`/api/v1/rooms/${room}/messages`, { token: admin })).body.messages as any[]).filter((m) => m.authorKind === 'agent').length;
    for (let i = 0; i < 200 && (await replied(roomId)) === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const source = (await api.get(`/api/v1/rooms/${roomId}/messages`, { token: admin })).body.messages;
    const calls = t.modelServer!.requests.length;
    const copy = await api.post('/api/v1/admin/agents/import', { file: await exported(true), key: KEY, remap: true, name: 'Grace III' }, { token: admin });
    expect(copy.status).toBe(201);
    const rooms = (await api.get('/api/v1/rooms', { token: admin })).body.rooms as any[];
    const copied = rooms.find((r) => r.name === 'graph room' && r.id !== roomId);
    expect(copied.participants.map((p: any) => p.name)).toContain('Grace III');
    // Give the live actors time to (wrongly) take the imported messages as new ones.
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await api.get(`/api/v1/rooms/${copied.id}/messages`, { token: admin })).body.messages;
    expect(after.map((m: any) => `${m.authorKind}: ${m.text}`)).toEqual(source.map((m: any) => `${m.authorKind}: ${m.text}`));
    expect(t.modelServer!.requests.length).toBe(calls);
  });
});
