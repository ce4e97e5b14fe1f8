import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { runCli } from '../cli/run-cli.ts';
import { startFakeOpenAI, type FakeServer } from '../support/fake-model-servers.ts';
import { createTestDatabase, hasPostgres } from '../support/postgres.ts';
import { connectWs } from '../support/ws-client.ts';
import { Api, TestCluster, until, type Node } from './support.ts';

/**
 * Three real `chronicle start` processes on one PostgreSQL log: every node takes every call, agents
 * are spread over the nodes, a socket on one node sees the replies of an agent another node runs, and
 * a node killed with SIGKILL in the middle of turns leaves every message answered exactly once.
 */
const PASSWORD = 'cluster-admin-password';

describe.runIf(hasPostgres())('a cluster of three nodes on one PostgreSQL log', () => {
  let model: FakeServer;
  let cluster: TestCluster;
  let DATABASE_URL = '';
  const t0 = Date.now();
  let nodes: Node[] = [];
  let api: Api;
  const rooms: { roomId: string; agentId: string; owner: string }[] = [];

  beforeAll(async () => {
    DATABASE_URL = await createTestDatabase('cluster');
    // Each reply streams over about a second: a kill lands in the middle of turns.
    model = await startFakeOpenAI({ chunkDelayMs: 120, reply: (text) => `Answer to ${text} with a few more words` });
    cluster = new TestCluster({
      DATABASE_URL,
      JWT_SECRET: randomBytes(32).toString('hex'),
      DATA_KEY: randomBytes(32).toString('hex'),
      ADMIN_PASSWORD: PASSWORD,
      MODEL_PROVIDER: 'openai',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: model.url,
      RATE_LIMIT_PER_MIN: '0',
      CLUSTER_LEASE_MS: '1500',
      LOG_LEVEL: 'warn',
    });
    // The first node bootstraps the log (admin, default agent); the others join a log that has them.
    nodes.push(await cluster.start('n1'));
    nodes.push(...(await Promise.all([cluster.start('n2'), cluster.start('n3')])));
    api = await Api.login(nodes[0].url, PASSWORD);
    await until(
      async () => {
        const hs = await Promise.all(nodes.map((n) => api.on(n.url).health()));
        return hs.every((h) => h.node?.live?.length === 3) || undefined;
      },
      15_000,
      'every node to see three live nodes',
    );
    // Six agents, each in its own room, created through different nodes.
    for (let i = 0; i < 6; i++) {
      const via = api.on(nodes[i % 3].url);
      const agent = await via.call('POST', '/api/v1/agents', { name: `Agent${i}`, bio: ['Answers questions.'] });
      expect(agent.status).toBe(201);
      const room = await via.call('POST', '/api/v1/rooms', { name: `room ${i}`, agentIds: [agent.body.agent.id] });
      expect(room.status).toBe(201);
      rooms.push({ roomId: room.body.room.id, agentId: agent.body.agent.id, owner: '' });
    }
    // Who owns which agent, as each node's health says (they must agree).
    await until(
      async () => {
        const owned = await Promise.all(nodes.map(async (n) => ({ node: n.name, owned: new Set<string>((await api.on(n.url).health()).node.owned) })));
        for (const r of rooms) {
          const owners = owned.filter((o) => o.owned.has(`agent-${r.agentId}`)).map((o) => o.node);
          if (owners.length !== 1) return undefined;
          r.owner = owners[0];
        }
        return true;
      },
      10_000,
      'every agent to have exactly one owner',
    );
  }, 90_000);

  afterAll(async () => {
    await cluster?.remove();
    await model?.close();
  });

  it('a socket on one node receives, live, the reply of an agent another node runs', async () => {
    const r = rooms[0];
    const other = nodes.find((n) => n.name !== r.owner)!;
    const socket = await connectWs(`${other.url.replace('http', 'ws')}/ws`, api.bearer);
    try {
      socket.send({ type: 'subscribe', roomId: r.roomId });
      await socket.next((f) => f.type === 'subscribed');
      // Read-your-writes on the node that appended: the message is in its read model at once.
      const posted = await api.on(other.url).call('POST', '/api/v1/messages', { roomId: r.roomId, text: 'fan-out?' });
      expect(posted.status).toBe(202);
      const listed = await api.on(other.url).call('GET', `/api/v1/rooms/${r.roomId}/messages`);
      expect(listed.body.messages.map((m: any) => m.id)).toContain(posted.body.message.id);
      const reply = await socket.next((f) => f.type === 'message' && f.message.authorKind === 'agent', 15_000);
      expect(reply.message.inReplyTo).toBe(posted.body.message.id);
      expect(reply.message.authorId).toBe(r.agentId);
    } finally {
      socket.close();
    }
  }, 30_000);

  it('messages through every node to agents owned by others; a node killed mid-turn; each message answered exactly once', async () => {
    // The victim: the node owning the most agents (each of its agents gets a turn in flight when it dies).
    const counts = nodes.map((n) => rooms.filter((r) => r.owner === n.name).length);
    const victim = nodes[counts.indexOf(Math.max(...counts))];
    const sent: { roomId: string; messageId: string }[] = [];
    const chatsBefore = model.requests.filter((q) => q.path.endsWith('/chat/completions')).length;
    for (const [i, r] of rooms.entries()) {
      // Through a node that does not own the agent, in turn.
      const others = nodes.filter((n) => n.name !== r.owner);
      for (let k = 0; k < 2; k++) {
        const via = others[(i + k) % others.length];
        const res = await api.on(via.url).call('POST', '/api/v1/messages', { roomId: r.roomId, text: `question ${i}.${k}` });
        expect(res.status).toBe(202);
        sent.push({ roomId: r.roomId, messageId: res.body.message.id });
      }
    }
    // Turns are streaming now (about a second each): the victim dies in the middle of its own.
    await until(() => model.requests.length >= 3 || undefined, 10_000, 'turns to start');
    victim.child.kill('SIGKILL');
    const survivor = api.on(nodes.find((n) => n !== victim)!.url);
    // The kill left work behind: some message to one of the victim's agents has no reply yet.
    const unanswered = async (roomId: string) => {
      const { body } = await survivor.call('GET', `/api/v1/rooms/${roomId}/messages?limit=200`);
      const answered = new Set(body.messages.filter((m: any) => m.authorKind === 'agent').map((m: any) => m.inReplyTo));
      return sent.filter((s) => s.roomId === roomId && !answered.has(s.messageId)).length;
    };
    let left = 0;
    for (const r of rooms.filter((x) => x.owner === victim.name)) left += await unanswered(r.roomId);
    expect(left).toBeGreaterThan(0);

    const replies = await until(
      async () => {
        const byMessage = new Map<string, number>();
        for (const r of rooms) {
          const { body } = await survivor.call('GET', `/api/v1/rooms/${r.roomId}/messages?limit=200`);
          for (const m of body.messages) if (m.authorKind === 'agent') byMessage.set(m.inReplyTo, (byMessage.get(m.inReplyTo) ?? 0) + 1);
        }
        return sent.every((s) => byMessage.has(s.messageId)) ? byMessage : undefined;
      },
      30_000,
      'every message to be answered after the kill',
    );
    for (const s of sent) expect(replies.get(s.messageId)).toBe(1);

    // Only the owner of an agent calls the model for it: not every node (about one call per message,
    // plus the turns the kill cut short).
    const chats = model.requests.filter((q) => q.path.endsWith('/chat/completions')).length - chatsBefore;
    expect(chats).toBeGreaterThanOrEqual(sent.length);
    expect(chats).toBeLessThan(sent.length + rooms.length);

    // The log itself: one reply and one decision per message, and the chain intact.
    const store = await PostgresEventStore.open(DATABASE_URL, { registry: eventRegistry, poolSize: 1 });
    try {
      const events = await store.readAll({ limit: 100_000 });
      for (const s of sent) {
        expect(events.filter((e) => e.type === 'message.posted' && e.data.authorKind === 'agent' && e.data.inReplyTo === s.messageId)).toHaveLength(1);
        expect(events.filter((e) => e.type === 'reply.decided' && e.data.messageId === s.messageId)).toHaveLength(1);
      }
      expect((await store.verify()).ok).toBe(true);
    } finally {
      await store.close();
    }
    // The survivors took the victim's agents over.
    const health = await survivor.health();
    expect(health.node.live).not.toContain(victim.name);
    expect(health.node.live).toHaveLength(2);
  }, 60_000);

  it('chronicle cluster status names the nodes, the dead one, and an owner for every agent; then verify and replay --verify on every node', async () => {
    const env = { DATABASE_URL, DATA_KEY: cluster.env.DATA_KEY, LOG_LEVEL: 'warn' };
    const status = await runCli(['cluster', 'status', '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.nodes.map((n: any) => n.nodeId)).toEqual(['n1', 'n2', 'n3']);
    const dead = report.nodes.filter((n: any) => !n.live).map((n: any) => n.nodeId);
    expect(dead).toHaveLength(1);
    expect(report.agents).toHaveLength(rooms.length + 1); // and the default agent
    for (const a of report.agents) expect(['n1', 'n2', 'n3'].filter((n) => !dead.includes(n))).toContain(a.owner);
    for (const n of report.nodes.filter((x: any) => x.live)) expect(n.url).toMatch(/^http:\/\/127\.0\.0\.1:/);

    await cluster.stop();
    expect((await runCli(['verify', '--data-dir', nodes[0].dataDir], env)).code).toBe(0);
    const replays = await Promise.all(nodes.map((n) => runCli(['replay', '--verify', '--data-dir', n.dataDir], env)));
    for (const r of replays) expect(r.code, r.stderr).toBe(0);
  }, 60_000);
});
