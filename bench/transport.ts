/**
 * Transport benchmark (bounded, ~1 minute): `npx tsx bench/transport.ts`.
 *  1. HTTP requests/s of a trivial route (GET /api/v1/health) on Chronicle vs a bare uWebSockets.js app.
 *  2. WebSocket fan-out of one room to 1,000 sockets.
 *  3. Headline: send → reply latency and replies/s with 16 concurrent rooms, each with one agent.
 * The load generators run in a child process (bench/transport-load.mjs) so they do not share the
 * server's event loop (the machine has 2 cores: one for the server, one for the load).
 * With the full composition root (src/app/chronicle.ts and its parts present) the agent is the real
 * actor system talking to an instant fake OpenAI-compatible server; otherwise the test harness's
 * echo actor stands in and the result says so.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadNativeUws } from '../src/transport/uws.ts';
import { readSettings } from '../src/settings/settings.ts';

const LOAD = join(import.meta.dirname, 'transport-load.mjs');

/** Runs a load phase and adds the server process's CPU time per unit of work (load-generator independent). */
async function runLoad(args: string[], onReady?: () => Promise<void>): Promise<any> {
  const c0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const r = await runLoadRaw(args, onReady);
  const c = process.cpuUsage(c0);
  const elu = performance.eventLoopUtilization(elu0);
  const units = r.requests ?? r.replies ?? r.deliveries;
  // cpuUsage counts every thread (GC helpers, SQLite, libuv); the event loop's busy share is the main thread's.
  return {
    ...r,
    serverCpuS: (c.user + c.system) / 1e6,
    serverCpuUsPerUnit: units ? (c.user + c.system) / units : null,
    serverLoopBusy: elu.utilization,
    serverLoopUsPerUnit: units ? (elu.active * 1000) / units : null,
    // The chat phases: over every exchange of the phase (warm-up included, like the CPU and loop time
    // measured), where the per-unit figures above divide by the measured replies only (older tables).
    ...(r.phaseExchanges
      ? { serverCpuUsPerExchange: (c.user + c.system) / r.phaseExchanges, serverLoopUsPerExchange: (elu.active * 1000) / r.phaseExchanges }
      : {}),
  };
}

function runLoadRaw(args: string[], onReady?: () => Promise<void>): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`load ${args[0]} timed out`))), 120_000);
    let result: any;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'READY') void onReady?.();
      else result = JSON.parse(line);
    });
    // 'close', not 'exit': the result line may still be in the pipe when the process has exited (seen
    // on a loaded machine and under --cpu-prof: "gave no result" from a run that had printed it).
    child.on(
      'close',
      (code, signal) => (
        clearTimeout(timer), result ? resolve(result) : reject(new Error(`load ${args[0]} gave no result (exit code ${code}, signal ${signal})`))
      ),
    );
  });
}

/**
 * The fake OpenAI server as a child process, like a remote model server: bench/instant-model-server.mjs
 * (default; native uWebSockets.js, ~nothing per call) or, with BENCH_FAKE_MODEL=double, the test double
 * of test/support/fake-model-servers.ts (bench/transport-fake-model.ts; ~0.5 ms of CPU per call measured, taken from
 * the 2 cores the server under test also runs on). BENCH_EMBED_DIMS: embedding size of the instant one.
 */
function startFakeModelProcess(): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const args =
      process.env.BENCH_FAKE_MODEL === 'double'
        ? ['--import', 'tsx', join(import.meta.dirname, 'transport-fake-model.ts')]
        : [join(import.meta.dirname, 'instant-model-server.mjs')];
    const env = { ...process.env, EMBED_DIMS: process.env.BENCH_EMBED_DIMS ?? '512' };
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], env });
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('fake model server did not start'))), 30_000);
    child.on('exit', () => reject(new Error('fake model server exited')));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('URL ')) return;
      clearTimeout(timer);
      resolve({
        url: line.slice(4),
        close: () => new Promise<void>((r) => (child.once('exit', () => r()), child.stdin!.end())),
      });
    });
  });
}

interface Target {
  kind: string;
  /** The full pipeline only: what the log and the projections did so far (for per-exchange figures). */
  logStats?(): LogStats;
  url: string;
  token: string;
  agentId: string;
  post(roomId: string, text: string): Promise<void>;
  room(name: string, agentIds: string[]): Promise<string>;
  close(): Promise<void>;
}

interface LogStats {
  events: number;
  logBytes: number;
  projectionBatches: number;
}

/**
 * The log's head and its SQLite file's size (pages in use, WAL included: a second reader sees what is
 * committed), and the projector's transactions, read in the server's process between phases.
 */
async function fullLogStats(dataDir: string): Promise<() => LogStats> {
  const { default: Database } = await import('better-sqlite3');
  const { Projector } = await import('../src/projections/projector.ts');
  let batches = 0;
  const apply = Projector.prototype.applyBatch;
  Projector.prototype.applyBatch = function (this: InstanceType<typeof Projector>, ...args: Parameters<typeof apply>) {
    batches++;
    return apply.apply(this, args);
  };
  return () => {
    const db = new Database(join(dataDir, 'events.db'), { readonly: true });
    try {
      const events = Number(db.prepare('SELECT max(seq) FROM events').pluck().get() ?? 0);
      const pages = Number(db.pragma('page_count', { simple: true })) - Number(db.pragma('freelist_count', { simple: true }));
      return { events, logBytes: pages * Number(db.pragma('page_size', { simple: true })), projectionBatches: batches };
    } finally {
      db.close();
    }
  };
}

/** Per exchange between two LogStats readings. */
function perExchange(a: LogStats | undefined, b: LogStats | undefined, exchanges: number) {
  if (!a || !b || !exchanges) return {};
  return {
    eventsPerExchange: (b.events - a.events) / exchanges,
    logBytesPerExchange: (b.logBytes - a.logBytes) / exchanges,
    projectionBatchesPerExchange: (b.projectionBatches - a.projectionBatches) / exchanges,
  };
}

async function api(url: string, method: string, path: string, token: string | undefined, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json: any = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function startTarget(): Promise<Target> {
  // BENCH_TARGET=chronicle (default when its parts exist) | actors (real actors on the harness) | harness (echo stand-in).
  const wanted = process.env.BENCH_TARGET;
  const full =
    (wanted === undefined || wanted === 'chronicle') &&
    ['src/projections/index.ts', 'src/actors/index.ts', 'src/models/registry.ts', 'src/knowledge/ingest.ts', 'src/app/bootstrap.ts'].every((p) =>
      existsSync(p),
    );
  if (full) {
    try {
      // BENCH_FAKE_MODEL=inprocess keeps the fake model server in Chronicle's process (the pre-23:00Z runs).
      const fake =
        process.env.BENCH_FAKE_MODEL === 'inprocess'
          ? await (await import('../test/support/fake-model-servers.ts')).startFakeOpenAI()
          : await startFakeModelProcess();
      const dir = mkdtempSync(join(tmpdir(), 'chronicle-bench-'));
      const logStats = await fullLogStats(dir);
      const settings = {
        ...readSettings({
          MODEL_PROVIDER: 'openai',
          OPENAI_BASE_URL: fake.url,
          OPENAI_API_KEY: 'x',
          EMBEDDING_PROVIDER: 'openai',
          DATA_DIR: dir,
          PORT: '0',
          RATE_LIMIT_PER_MIN: '0',
          LOG_LEVEL: 'error',
          ADMIN_PASSWORD: 'bench-password',
        }),
      };
      const { openChronicle } = await import('../src/app/chronicle.ts');
      const { builtIns } = await import('../plugins/built-in.ts');
      const { bootstrap } = await import('../src/app/bootstrap.ts');
      const { startServer } = await import('../src/transport/server.ts');
      const chronicle = await openChronicle(settings, builtIns);
      const boot = await bootstrap(chronicle);
      const server = await startServer(chronicle as never);
      const token = (await api(server.url, 'POST', '/api/v1/auth/login', undefined, { username: 'admin', password: 'bench-password' })).accessToken;
      const agentId = boot.defaultAgentId ?? (await api(server.url, 'GET', '/api/v1/agents', token)).agents[0].id;
      return {
        kind:
          'full Chronicle (SQLite log + projections + actor system + openai provider → ' +
          (process.env.BENCH_FAKE_MODEL === 'inprocess'
            ? 'the test double fake OpenAI server in the same process, 8-d embeddings)'
            : process.env.BENCH_FAKE_MODEL === 'double'
              ? 'the test double fake OpenAI server in its own process, 8-d embeddings)'
              : `the instant OpenAI-compatible server in its own process, ${process.env.BENCH_EMBED_DIMS ?? 512}-d embeddings)`),
        logStats,
        url: server.url,
        token,
        agentId,
        post: async (roomId, text) => void (await api(server.url, 'POST', '/api/v1/messages', token, { roomId, text })),
        room: async (name, agentIds) => (await api(server.url, 'POST', '/api/v1/rooms', token, { name, agentIds })).room.id,
        close: async () => {
          await server.close();
          await chronicle.close();
          await fake.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      console.error(`full Chronicle did not start (${String(err)}); using the transport harness`);
    }
  }
  const { startTestServer } = await import('../test/support/transport-harness.ts');
  // Next best: the real actor system and model registry (openai provider → instant fake server) on the
  // harness's in-memory read model.
  const real = wanted !== 'harness' && existsSync('src/actors/index.ts') && existsSync('src/models/registry.ts');
  const t = await startTestServer({ rateLimitPerMin: 0 }, { actors: real ? 'real' : 'fake' });
  const token = (await api(t.url, 'POST', '/api/v1/auth/login', undefined, { username: 'admin', password: t.adminPassword })).accessToken;
  const agentId = (await api(t.url, 'POST', '/api/v1/agents', token, { name: 'Echo', bio: 'echo' })).agent.id;
  return {
    kind: real
      ? 'harness with the REAL actor system + model registry (openai provider → instant fake OpenAI server) on an in-memory SQLite log and in-memory read model'
      : 'transport harness (in-memory SQLite log + in-memory read model + echo actor; no model call)',
    url: t.url,
    token,
    agentId,
    post: async (roomId, text) => void (await api(t.url, 'POST', '/api/v1/messages', token, { roomId, text })),
    room: async (name, agentIds) => (await api(t.url, 'POST', '/api/v1/rooms', token, { name, agentIds })).room.id,
    close: () => t.close(),
  };
}

async function bareUws(): Promise<{ url: string; close(): void }> {
  const uws = loadNativeUws();
  const app = uws.App();
  app.get('/api/v1/health', (res) => {
    res.writeHeader('content-type', 'application/json; charset=utf-8').end(JSON.stringify({ status: 'ok', seq: 0, uptimeS: 0 }));
  });
  const socket = await new Promise<any>((r) => app.listen('127.0.0.1', 0, r));
  return { url: `http://127.0.0.1:${uws.us_socket_local_port(socket)}`, close: () => uws.us_listen_socket_close(socket) };
}

const results: Record<string, unknown> = {};
const target = await startTarget();
console.log(`target: ${target.kind}`);
// BENCH_PHASES=chat runs only the send → reply phases (chat1 / chat16: one of them), for quicker profiling loops; default: all.
const wsUrl = target.url.replace(/^http/, 'ws') + '/ws';
const phases = new Set((process.env.BENCH_PHASES ?? 'http,fanout,chat').split(','));
try {
  if (phases.has('http')) {
    const bare = await bareUws();
    results.httpBare = await runLoad(['http', `${bare.url}/api/v1/health`, '32', '4000']);
    bare.close();
    results.httpChronicle = await runLoad(['http', `${target.url}/api/v1/health`, '32', '4000']);
    console.log('http', results.httpBare, results.httpChronicle);
  }

  if (phases.has('fanout')) {
    const fanRoom = await target.room('fanout', []);
    const MESSAGES = 50;
    results.fanout = await runLoad(['fanout', wsUrl, target.token, fanRoom, '1000', String(MESSAGES)], async () => {
      for (let i = 0; i < MESSAGES; i++) {
        await target.post(fanRoom, `t ${performance.timeOrigin + performance.now()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    console.log('fanout', results.fanout);
  }

  if (phases.has('chat') || phases.has('chat1') || phases.has('chat16')) {
    const rooms: string[] = [];
    for (let i = 0; i < 16; i++) rooms.push(await target.room(`chat-${i}`, [target.agentId]));
    // Events, log bytes and projection transactions per exchange: the whole phase (warm-up included)
    // over the exchanges the server answered in it (the load generator counts only the measured ones).
    const chat = async (roomIds: string[], ms: string, warmupMs: string) => {
      const before = target.logStats?.();
      const r = await runLoad(['chat', wsUrl, target.token, roomIds.join(','), ms, warmupMs]);
      const after = target.logStats?.();
      return { ...r, ...perExchange(before, after, r.phaseExchanges) };
    };
    if (!phases.has('chat16') || phases.has('chat1')) results.chat1 = await chat(rooms.slice(0, 1), '4000', '1000');
    console.log('chat, 1 room', results.chat1);
    if (!phases.has('chat1') || phases.has('chat16')) results.chat16 = await chat(rooms, '8000', '1500');
    console.log('chat, 16 rooms', results.chat16);
  }
} finally {
  await target.close();
}
console.log(
  JSON.stringify(
    {
      target: target.kind,
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        date: new Date().toISOString(),
        loadAverage: loadavg(),
      },
      results,
    },
    null,
    2,
  ),
);
process.exit(0);
