/**
 * What checking every imported row costs, A/B in one run: `npx tsx bench/event-log-import.ts [--quick] [--base REF]`
 *
 * An export of N events (a chat workload over 20 rooms: per exchange the user's message, the reply
 * decision, the model call, the agent's message, its trace and both messages' 384-dimension int8
 * embeddings — 7 events) is imported with `importLog` (what `chronicle events import` runs: NDJSON
 * parsing included) into a fresh log, alternately by
 *
 *   before   the stores as they were before the import checked payloads: src/ of REF (default: the
 *            parent of the first commit that touched src/events/import-check.ts), extracted with
 *            `git archive` into bench/.work/ and loaded from there — chain and duplicate ids only;
 *   after    the stores of this tree: chain, duplicate ids, envelope, and every payload decoded,
 *            upcast and parsed with its schema (src/events/import-check.ts).
 *
 * SQLite always; PostgreSQL too when a throwaway server can be started (the tests' way:
 * test/support/postgres-server.ts) or BENCH_DATABASE_URL is set — there CPU is this Node process's
 * only, not the server's. Then the checker alone over the parsed rows (no store), and the payload
 * check per event type. Bounded: ~1 minute here (--quick: a few seconds).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { eventRegistry } from '../src/domain/event-registry.ts';
import { decodeData } from '../src/events/codec.ts';
import { ImportRowChecker } from '../src/events/import-check.ts';
import { exportLog, importLog } from '../src/events/ndjson.ts';
import { PostgresEventStore } from '../src/events/postgres/postgres-event-store.ts';
import { QuantizedVector } from '../src/events/quantized-vector.ts';
import { SqliteEventStore } from '../src/events/sqlite/sqlite-event-store.ts';
import { ChainVerifier, type StoredRow } from '../src/events/verify.ts';
import type { NewEvent } from '../src/events/index.ts';
import startTestServer from '../test/support/postgres-server.ts';
import { benchDir, benchMachine, chatText, formatTiming, loadAverage, timed, type Timing } from './log-setup.ts';

const quick = process.argv.includes('--quick');
const EXCHANGES = quick ? 1_000 : 6_000;
const ROUNDS = quick ? 1 : 3;
const ROOMS = 20;
const DIMS = 384;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = benchDir('chronicle-bench-import');
const exportFile = dir.path('log.ndjson');
let run = 0;

// ---------------------------------------------------------------- the two implementations

interface Impl {
  importLog: typeof importLog;
  SqliteEventStore: typeof SqliteEventStore;
  PostgresEventStore: typeof PostgresEventStore;
}

function baseRef(): string {
  const i = process.argv.indexOf('--base');
  if (i > 0 && process.argv[i + 1]) return process.argv[i + 1];
  const first = execFileSync('git', ['log', '--format=%H', '--reverse', '--', 'src/events/import-check.ts'], { cwd: root, encoding: 'utf8' })
    .trim()
    .split('\n')[0];
  if (!first) throw new Error('src/events/import-check.ts has no history here: pass --base REF');
  return `${first}^`;
}

/** src/ of `ref`, extracted once into bench/.work/ (inside the repo, so its imports find node_modules). */
async function loadBase(ref: string): Promise<{ sha: string; impl: Impl }> {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim();
  const into = join(root, 'bench', '.work', `import-base-${sha}`);
  if (!existsSync(join(into, 'src'))) {
    mkdirSync(into, { recursive: true });
    const tar = execFileSync('git', ['archive', '--format=tar', sha, 'src'], { cwd: root, maxBuffer: 256 * 2 ** 20 });
    execFileSync('tar', ['-x', '-C', into], { input: tar });
  }
  if (readFileSync(join(into, 'src/events/errors.ts'), 'utf8').includes('invalid_payload')) {
    console.warn(`warning: ${ref} (${sha}) already checks payloads: "before" is not the old import; pass --base REF`);
  }
  const load = (p: string) => import(join(into, 'src', p));
  const [ndjson, sqlite, postgres] = await Promise.all([
    load('events/ndjson.ts'),
    load('events/sqlite/sqlite-event-store.ts'),
    load('events/postgres/postgres-event-store.ts'),
  ]);
  return { sha, impl: { importLog: ndjson.importLog, SqliteEventStore: sqlite.SqliteEventStore, PostgresEventStore: postgres.PostgresEventStore } };
}

const after: Impl = { importLog, SqliteEventStore, PostgresEventStore };

// ---------------------------------------------------------------- the export

function vector(seed: number): QuantizedVector {
  const v = new Float32Array(DIMS);
  for (let i = 0; i < DIMS; i++) v[i] = Math.sin(seed * 31 + i * 0.7);
  return QuantizedVector.quantize(v);
}

function exchange(n: number, roomId: string): NewEvent[] {
  const m = `msg-${n}`;
  const r = `reply-${n}`;
  const agentId = 'agent-1';
  return [
    { id: m, type: 'message.posted', data: { messageId: m, roomId, authorId: 'user-1', authorKind: 'user', text: chatText } },
    { id: `decided-${n}`, type: 'reply.decided', data: { agentId, roomId, messageId: m, respond: true, reason: 'addressed' } },
    {
      id: `called-${n}`,
      type: 'model.called',
      data: { agentId, provider: 'openai', model: 'gpt-4o-mini', kind: 'text', ok: true, usage: { promptTokens: 812, completionTokens: 64 }, latencyMs: 420 },
    },
    { id: r, type: 'message.posted', data: { messageId: r, roomId, authorId: agentId, authorKind: 'agent', text: chatText, inReplyTo: m } },
    {
      id: `traced-${n}`,
      type: 'reply.traced',
      data: {
        agentId,
        roomId,
        messageId: m,
        replyId: r,
        provider: 'openai',
        model: 'gpt-4o-mini',
        usage: { promptTokens: 812, completionTokens: 64 },
        latencyMs: 420,
        sources: { messageIds: [`msg-${n - 1}`, `reply-${n - 1}`], knowledgeChunkIds: ['chunk-1', 'chunk-2'], factIds: [] },
        providers: [
          { name: 'CHARACTER', sha256: 'a'.repeat(64), chars: 1200 },
          { name: 'RECENT_MESSAGES', sha256: 'b'.repeat(64), chars: 900 },
        ],
        actions: ['REPLY'],
      },
    },
    { id: `emb-${m}`, type: 'message.embedded', data: { messageId: m, roomId, model: 'text-embedding-3-small', vector: vector(2 * n) } },
    { id: `emb-${r}`, type: 'message.embedded', data: { messageId: r, roomId, model: 'text-embedding-3-small', vector: vector(2 * n + 1) } },
  ];
}

/** Builds the workload through the store's own appends (so it is a log appends accept) and exports it. */
async function writeExport(): Promise<number> {
  const store = dir.sqliteLog('source.db');
  try {
    for (let n = 0; n < EXCHANGES; n += ROOMS) {
      await Promise.all(
        Array.from({ length: Math.min(ROOMS, EXCHANGES - n) }, (_, k) => store.append(`room-${k}`, exchange(n + k, `r${k}`), { trusted: true })),
      );
    }
    const out = createWriteStream(exportFile);
    const count = await exportLog(store, out);
    out.end();
    await finished(out);
    return count;
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------- timing

const usPerEvent = (t: Timing) => (1e6 / t.perCpuSec).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function importSqlite(impl: Impl): Promise<Timing> {
  const path = dir.path(`import-${++run}.db`);
  const store = new impl.SqliteEventStore({ registry: eventRegistry, path });
  try {
    return await timed(() => impl.importLog(store, createReadStream(exportFile)));
  } finally {
    await store.close();
    for (const suffix of ['', '-wal', '-shm', '-writer.lock']) rmSync(path + suffix, { force: true });
  }
}

async function importPostgres(impl: Impl, url: string): Promise<Timing> {
  const store = await impl.PostgresEventStore.open(url, { registry: eventRegistry, schema: `bench_import_${++run}` });
  try {
    return await timed(() => impl.importLog(store, createReadStream(exportFile)));
  } finally {
    await store.close();
  }
}

/** Warm-up of both, then ROUNDS alternating before/after; prints each run and the medians. */
async function ab(label: string, base: Impl, once: (impl: Impl) => Promise<Timing>, cpu = 'CPU-s'): Promise<void> {
  await once(base);
  await once(after);
  const runs: Record<'before' | 'after', Timing[]> = { before: [], after: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, impl] of [
      ['before', base],
      ['after', after],
    ] as const) {
      const t = await once(impl);
      runs[name].push(t);
      console.log(`  ${label.padEnd(10)} ${name.padEnd(6)} ${formatTiming(t, cpu)}  ${usPerEvent(t)} µs ${cpu === 'CPU-s' ? 'CPU' : 'Node CPU'}/event`);
    }
  }
  const summary = (ts: Timing[]) => ({ wall: median(ts.map((t) => t.perSec)), cpu: median(ts.map((t) => t.perCpuSec)) });
  const b = summary(runs.before);
  const a = summary(runs.after);
  console.log(
    `  ${label.padEnd(10)} median  before ${b.wall.toLocaleString('en')}/s wall, ${(1e6 / b.cpu).toFixed(1)} µs/event; ` +
      `after ${a.wall.toLocaleString('en')}/s wall, ${(1e6 / a.cpu).toFixed(1)} µs/event; ` +
      `after/before: ${(a.wall / b.wall).toFixed(2)}× events/s, ${(b.cpu / a.cpu).toFixed(2)}× CPU per event`,
  );
}

/** The checks alone, no store, over the parsed rows: the old loop (chain + ids) and ImportRowChecker. */
async function checkerAlone(rows: StoredRow[]): Promise<void> {
  const old = () =>
    timed(() => {
      const chain = new ChainVerifier();
      const ids = new Set<string>();
      for (const row of rows) {
        if (chain.check(row) || ids.has(row.id)) throw new Error('bench export does not verify');
        ids.add(row.id);
      }
      return rows.length;
    });
  const full = () =>
    timed(() => {
      const checker = new ImportRowChecker(eventRegistry);
      for (const row of rows) checker.check(row);
      return rows.length;
    });
  await old();
  await full();
  const o: Timing[] = [];
  const f: Timing[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    o.push(await old());
    f.push(await full());
  }
  const us = (ts: Timing[]) => (1e6 / median(ts.map((t) => t.perCpuSec))).toFixed(1);
  console.log(`  checks alone: chain + ids ${us(o)} µs CPU/event; ImportRowChecker ${us(f)} µs CPU/event`);

  // The payload check per type: decode, upcast, parse (what the checker adds to the chain check).
  const byType = new Map<string, StoredRow[]>();
  for (const row of rows) {
    let list = byType.get(row.type);
    if (!list) byType.set(row.type, (list = []));
    list.push(row);
  }
  for (const [type, list] of byType) {
    const t = await timed(() => {
      for (const row of list) {
        const meta = JSON.parse(row.meta) as { schemaVersion?: number };
        const data = eventRegistry.upcast(type, meta.schemaVersion ?? 1, decodeData(row.data));
        if (eventRegistry.firstIssue(type, data)) throw new Error(`bench row of ${type} is invalid`);
      }
      return list.length;
    });
    console.log(
      `    payload check ${type.padEnd(16)} ${usPerEvent(t).padStart(6)} µs CPU/event  (${list.length} events, ~${Math.round(list[0].data.length / 10) * 10} B of data each)`,
    );
  }
}

// ---------------------------------------------------------------- run

let stopServer: (() => void) | undefined;
try {
  const ref = baseRef();
  const { sha, impl: base } = await loadBase(ref);
  const count = await writeExport();
  console.log(
    `event log import, before (${sha}: chain + ids) vs after (this tree: + envelope and payload) — ${count} events (${EXCHANGES} exchanges × 7 over ${ROOMS} rooms), ` +
      `${ROUNDS} round(s) after a warm-up, ${JSON.stringify(benchMachine())}`,
  );
  console.log(`load average at start: ${loadAverage()}`);
  console.log('SQLite (importLog of the NDJSON file into a fresh file log):');
  await ab('SQLite', base, importSqlite);

  let url = process.env.BENCH_DATABASE_URL ?? '';
  if (!url) stopServer = await startTestServer({ provide: (_key: string, value: string) => (url = value) } as never);
  if (url) {
    console.log('PostgreSQL (importLog into a fresh schema; throwaway server, fsync=off):');
    await ab('PostgreSQL', base, (impl) => importPostgres(impl, url), 'Node CPU-s');
  } else console.log('PostgreSQL: skipped (no binaries, no BENCH_DATABASE_URL)');

  const rows = readFileSync(exportFile, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as StoredRow);
  console.log('The checks alone (parsed rows in memory, no store):');
  await checkerAlone(rows);
  console.log(`load average at the end: ${loadAverage()}`);
} finally {
  stopServer?.();
  dir.remove();
}
