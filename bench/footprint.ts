/**
 * Footprint benchmark (bounded): `npx tsx bench/footprint.ts [exchanges=1000] [rooms=10]`.
 * Starts the real server the way a user does (`node bin/chronicle.js start`, compiled dist/, default
 * local provider: USE-lite 512-d embeddings and the rules model), runs `exchanges` message → reply
 * exchanges over `rooms` rooms through the WebSocket API, waits until both messages of every exchange
 * are embedded, and reports: the server's RSS idle before and after, the log and read-model file sizes
 * per 1,000 exchanges, and the log's bytes per event type (what the disk is spent on).
 * BENCH_KEEP_DATA=1 keeps the data directory for a closer look.
 * MODEL_PROVIDER/EMBEDDING_PROVIDER and their settings pass through from the environment.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';

const exchanges = Number(process.argv[2] ?? 1000);
const roomCount = Number(process.argv[3] ?? 10);
const root = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'chronicle-footprint-'));
const password = 'footprint-password-1';

const server = spawn(process.execPath, [join(root, 'bin', 'chronicle.js'), 'start'], {
  cwd: root,
  env: { ...process.env, DATA_DIR: dataDir, PORT: '0', ADMIN_PASSWORD: password, RATE_LIMIT_PER_MIN: '0', LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error('server did not start in 60 s')), 60_000);
  server.stdout!.on('data', (d) => {
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) clearTimeout(timer), resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

try {
  await sleep(1000);
  const rssIdleStart = rssKb();
  const { accessToken: token } = await api('POST', '/api/v1/auth/login', { username: 'admin', password });
  const { agents } = await api('GET', '/api/v1/agents', undefined, token);
  const rooms: string[] = [];
  for (let i = 0; i < roomCount; i++) rooms.push((await api('POST', '/api/v1/rooms', { name: `room ${i}`, agentIds: [agents[0].id] }, token)).room.id);

  const texts = [
    'What do you know about event sourcing?',
    'Tell me something about yourself.',
    'How are rooms and agents related here?',
    'Can you summarise what we talked about?',
    'Why is the log the only source of truth?',
  ];
  const t0 = performance.now();
  const perRoom = Math.ceil(exchanges / roomCount);
  let done = 0;
  await Promise.all(
    rooms.map(
      (roomId, r) =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?token=${token}`);
          let k = 0;
          const send = () => {
            if (k >= perRoom || done >= exchanges) return ws.close(), resolve();
            ws.send(JSON.stringify({ type: 'message', roomId, text: `${texts[(r + k) % texts.length]} (${r}-${k})`, clientMessageId: `f-${r}-${k++}` }));
          };
          ws.on('message', (data) => {
            const f = JSON.parse(String(data));
            if (f.type === 'subscribed') send();
            else if (f.type === 'message' && f.message.authorKind === 'agent') done++, send();
          });
          ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', roomId })));
          ws.on('error', reject);
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  // Wait for the message embedder to catch up: every posted message has its message.embedded (read from
  // the log beside the server, read-only), then the log head still for 5 s. On a loaded box the embedder
  // can pause longer than 5 s, so stillness alone stopped early (1,281 of 2,000 embedded once).
  const log = new Database(join(dataDir, 'events.db'), { readonly: true });
  const count = log.prepare("SELECT sum(type = 'message.posted') AS posted, sum(type = 'message.embedded') AS embedded FROM events");
  let last = -1;
  for (let still = 0, i = 0; still < 10 && i < 2400; i++) {
    const { seq } = await api('GET', '/api/v1/health');
    const { posted, embedded } = count.get() as { posted: number; embedded: number };
    still = seq === last && embedded >= posted ? still + 1 : 0;
    last = seq;
    await sleep(500);
  }
  log.close();
  const rssIdleEnd = rssKb();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));

  const size = (f: string) => {
    try {
      return statSync(join(dataDir, f)).size;
    } catch {
      return 0;
    }
  };
  const logBytes = size('events.db') + size('events.db-wal');
  const readBytes = size('read.db') + size('read.db-wal');
  const db = new Database(join(dataDir, 'events.db'), { readonly: true });
  const byType = db
    .prepare(
      'SELECT type, count(*) AS n, sum(length(data)) AS data, sum(length(meta)) AS meta, sum(length(hash) + length(id)) AS ids FROM events GROUP BY type ORDER BY data + meta DESC',
    )
    .all() as { type: string; n: number; data: number; meta: number; ids: number }[];
  const total = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
  db.close();
  // Where the pages go: SQLite's dbstat per table and index (sqlite-vec's shadow tables and FTS5's included).
  const pagesByTable = (file: string) => {
    const d = new Database(join(dataDir, file), { readonly: true });
    try {
      return Object.fromEntries(
        (d.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number }[])
          .filter((t) => t.bytes > 0)
          .map((t) => [t.name, Math.round(t.bytes / done)]),
      );
    } finally {
      d.close();
    }
  };
  const per1k = (b: number) => (((b / done) * 1000) / 2 ** 20).toFixed(2);
  const result = {
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    exchanges: done,
    rooms: roomCount,
    seconds: +seconds.toFixed(1),
    events: total.n,
    rssIdleStartMiB: +(rssIdleStart / 1024).toFixed(1),
    rssIdleEndMiB: +(rssIdleEnd / 1024).toFixed(1),
    logMiBPer1k: per1k(logBytes),
    readModelMiBPer1k: per1k(readBytes),
    diskMiBPer1k: per1k(logBytes + readBytes),
    files: Object.fromEntries(['events.db', 'events.db-wal', 'read.db', 'read.db-wal'].map((f) => [f, size(f)])),
    logBytesPerExchangeByTable: pagesByTable('events.db'),
    readModelBytesPerExchangeByTable: pagesByTable('read.db'),
    byType: byType.map((t) => ({
      type: t.type,
      n: t.n,
      dataBytesPerEvent: Math.round(t.data / t.n),
      metaBytesPerEvent: Math.round(t.meta / t.n),
      bytesPerExchange: Math.round((t.data + t.meta + t.ids) / done),
    })),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  if (server.exitCode === null) server.kill('SIGKILL');
  if (process.env.BENCH_KEEP_DATA) console.error(`data kept in ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
}
