/**
 * Replies/s with 1 and 2 Chronicle nodes on one PostgreSQL log, and the failover time after kill -9.
 * Real `chronicle start` processes on 127.0.0.1, the instant model server as its own process, a
 * throwaway PostgreSQL (or BENCH_DATABASE_URL's server: a database per run is created there).
 *
 *   npx tsx bench/cluster.ts          (BENCH_AGENTS=16 BENCH_MESSAGES=400 BENCH_LEASE_MS=2000
 *                                      BENCH_NODES=0,1,2: 0 = one node on SQLite, 1 and 2 on PostgreSQL)
 *
 * Replies/s: AGENTS agents, one room each; MESSAGES user messages posted through the nodes in turn
 * (16 at a time); the clock stops when the log holds a reply to every one. Failover: 2 nodes, the one
 * owning an agent is killed (SIGKILL) right after a message to that agent is posted through the other;
 * measured: kill → the survivor sees one live node, kill → the reply is in the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { startThrowawayPostgres } from '../test/support/postgres-server.ts';
import { Api, until } from '../test/cluster/support.ts';
import { startServer } from '../test/cli/run-cli.ts';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 16);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 400);
const LEASE_MS = Number(process.env.BENCH_LEASE_MS ?? 2000);
const PASSWORD = 'bench-admin-password';

function instantModel(): Promise<{ url: string; close: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'instant-model-server.mjs')], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, EMBED_DIMS: '64' },
    });
    child.on('exit', () => reject(new Error('model server exited')));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('URL ')) resolve({ url: line.slice(4), close: () => new Promise<void>((r) => (child.once('exit', () => r()), child.stdin!.end())) });
    });
  });
}

async function freshDatabase(adminUrl: string): Promise<string> {
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function repliesInLog(db: pg.Client): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM chronicle.events WHERE type = 'message.posted' AND data LIKE '%"authorKind":"agent"%'`);
  return rows[0].n;
}

interface Cluster {
  nodes: { name: string; url: string; child: ChildProcess }[];
  api: Api;
  rooms: { roomId: string; agentId: string }[];
  /** Agents' messages in the log so far. */
  replies(): Promise<number>;
  /** The log's head (PostgreSQL runs; 0 on SQLite). */
  head(): Promise<number>;
  stop(): Promise<void>;
}

/** count 0: one node on SQLite (no DATABASE_URL), the baseline. */
async function startCluster(adminUrl: string, modelUrl: string, count: number): Promise<Cluster> {
  const sqlite = count === 0;
  if (sqlite) count = 1;
  const url = sqlite ? '' : await freshDatabase(adminUrl);
  const root = mkdtempSync(join(tmpdir(), 'chronicle-bench-cluster-'));
  const env = {
    ...(url ? { DATABASE_URL: url } : {}),
    JWT_SECRET: randomBytes(32).toString('hex'),
    DATA_KEY: randomBytes(32).toString('hex'),
    ADMIN_PASSWORD: PASSWORD,
    MODEL_PROVIDER: 'openai',
    OPENAI_API_KEY: 'bench',
    OPENAI_BASE_URL: modelUrl,
    RATE_LIMIT_PER_MIN: '0',
    CLUSTER_LEASE_MS: String(LEASE_MS),
    LOG_LEVEL: 'warn',
  };
  const start = (i: number) =>
    startServer({ ...env, NODE_ID: `n${i}`, DATA_DIR: join(root, `n${i}`) }, 120_000).then((s) => ({ name: `n${i}`, url: s.url, child: s.child }));
  const nodes = [await start(1)];
  for (let i = 2; i <= count; i++) nodes.push(await start(i));
  const api = await Api.login(nodes[0].url, PASSWORD);
  if (!sqlite)
    await until(
      async () => (await Promise.all(nodes.map((n) => api.on(n.url).health()))).every((h) => h.node?.live?.length === count) || undefined,
      20_000,
      'all nodes live',
    );
  const rooms: Cluster['rooms'] = [];
  for (let i = 0; i < AGENTS; i++) {
    const via = api.on(nodes[i % count].url);
    const agent = (await via.call('POST', '/api/v1/agents', { name: `Bench${i}`, bio: ['Answers.'] })).body.agent;
    const room = (await via.call('POST', '/api/v1/rooms', { name: `bench ${i}`, agentIds: [agent.id] })).body.room;
    rooms.push({ roomId: room.id, agentId: agent.id });
  }
  const db = sqlite ? undefined : new pg.Client({ connectionString: url });
  await db?.connect();
  // On SQLite, counted through the API (the rooms' messages) instead of the database.
  const replies = db
    ? () => repliesInLog(db)
    : async () => {
        let n = 0;
        for (const r of rooms)
          n += (await api.call('GET', `/api/v1/rooms/${r.roomId}/messages?limit=200`)).body.messages.filter((m: any) => m.authorKind === 'agent').length;
        return n;
      };
  return {
    nodes,
    api,
    rooms,
    replies,
    head: async () => (db ? Number((await db.query('SELECT seq FROM chronicle.log_head')).rows[0].seq) : 0),
    stop: async () => {
      await db?.end();
      await Promise.all(
        nodes.map((n) =>
          n.child.exitCode === null && n.child.signalCode === null ? new Promise((r) => (n.child.once('exit', r), n.child.kill('SIGTERM'))) : undefined,
        ),
      );
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function repliesPerSecond(c: Cluster): Promise<{ replies: number; seconds: number; perS: number; eventsPerReply: number }> {
  // One warm-up exchange per agent (plugins, prompt caches), not counted.
  const warm = await c.replies();
  await Promise.all(c.rooms.map((r, i) => c.api.on(c.nodes[i % c.nodes.length].url).call('POST', '/api/v1/messages', { roomId: r.roomId, text: 'warm up' })));
  await until(async () => ((await c.replies()) >= warm + c.rooms.length ? true : undefined), 60_000, 'warm-up replies');
  const before = await c.replies();
  const headBefore = await c.head();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < MESSAGES) {
      const i = next++;
      const r = c.rooms[i % c.rooms.length];
      const res = await c.api.on(c.nodes[i % c.nodes.length].url).call('POST', '/api/v1/messages', { roomId: r.roomId, text: `question ${i}` });
      if (res.status !== 202) throw new Error(`post: ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await until(async () => ((await c.replies()) >= before + MESSAGES ? true : undefined), 300_000, 'every reply');
  const seconds = (performance.now() - t0) / 1000;
  // Embeddings may still be landing: settle a moment before counting the events of these exchanges.
  await new Promise((r) => setTimeout(r, 1000));
  return { replies: MESSAGES, seconds, perS: MESSAGES / seconds, eventsPerReply: ((await c.head()) - headBefore) / MESSAGES };
}

async function failover(c: Cluster): Promise<{ detectedMs: number; answeredMs: number }> {
  const [a, b] = c.nodes;
  const ownedByB = new Set<string>((await c.api.on(b.url).health()).node.owned);
  const r = c.rooms.find((x) => ownedByB.has(`agent-${x.agentId}`));
  if (!r) throw new Error('n2 owns no agent');
  const before = await c.replies();
  const posted = await c.api.on(a.url).call('POST', '/api/v1/messages', { roomId: r.roomId, text: 'are you there?' });
  b.child.kill('SIGKILL');
  const t0 = performance.now();
  // The instant model may have let n2 answer before it died: then there is nothing to take over. Say so.
  const already = (await c.replies()) > before;
  let detectedMs = 0;
  await until(
    async () => {
      const h = await c.api.on(a.url).health();
      if (h.node.live.length === 1) return (detectedMs = performance.now() - t0);
      return undefined;
    },
    60_000,
    'the survivor to see the death',
  );
  await until(async () => ((await c.replies()) > before ? true : undefined), 60_000, 'the reply');
  const answeredMs = performance.now() - t0;
  if (already) process.stdout.write(`  (n2 had answered before it died: answeredMs is not a takeover)\n`);
  void posted;
  return { detectedMs, answeredMs };
}

const given = process.env.BENCH_DATABASE_URL;
const pgServer = given ? undefined : await startThrowawayPostgres();
const adminUrl = given ?? pgServer?.url;
if (!adminUrl) throw new Error('no PostgreSQL: set BENCH_DATABASE_URL or install postgresql-15');
const model = await instantModel();
process.stdout.write(
  `cluster bench: ${AGENTS} agents, ${MESSAGES} messages, lease ${LEASE_MS} ms, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}\n`,
);
try {
  for (const count of (process.env.BENCH_NODES ?? '0,1,2').split(',').map(Number)) {
    const c = await startCluster(adminUrl, model.url, count);
    try {
      const r = await repliesPerSecond(c);
      process.stdout.write(
        `${count === 0 ? '1 node, SQLite' : `${count} node(s), PostgreSQL`}: ${r.replies} replies in ${r.seconds.toFixed(1)} s = ${r.perS.toFixed(1)} replies/s (load ${loadavg()[0].toFixed(1)})${r.eventsPerReply ? `, ${r.eventsPerReply.toFixed(1)} events per exchange` : ''}\n`,
      );
      if (count === 2) {
        for (let k = 0; k < 1; k++) {
          const f = await failover(c);
          process.stdout.write(
            `failover after kill -9: survivor saw it in ${(f.detectedMs / 1000).toFixed(2)} s, reply in the log after ${(f.answeredMs / 1000).toFixed(2)} s (lease ${LEASE_MS} ms)\n`,
          );
        }
      }
    } finally {
      await c.stop();
    }
  }
} finally {
  await model.close();
  pgServer?.stop();
}
