/**
 * Appends/s on PostgreSQL beside SQLite, in one run: `npx tsx bench/event-log-postgres.ts [--quick]`
 *
 * Starts a throwaway PostgreSQL server the way the tests do (test/support/postgres-server.ts: initdb,
 * 127.0.0.1, fsync=off), or uses BENCH_DATABASE_URL when set. Paths, each on a fresh log:
 *
 *   single         one-event appends, each awaited before the next (one transaction per event);
 *   group          GROUP concurrent callers appending one event each, over and over (group commit);
 *   group×3 pools  the same callers spread over three stores with their own pools, as three nodes
 *                  would be: their transactions queue on the one head row;
 *   batch          appends of 1,000 events per call;
 *   replay         readAll pages of 1,000 over the batch log.
 *
 * Durability: SQLite runs WAL + synchronous=NORMAL (Chronicle's default: commits reach the WAL, fsync
 * only at checkpoints). The throwaway PostgreSQL server runs fsync=off (set on its command line, so
 * it cannot be switched on here): commits reach the WAL, never fsynced — the closest equivalent. On a
 * production server each commit also waits for one WAL flush; `pg_test_fsync` tells what that costs
 * on a given disk, and group commit pays it once per group, not per caller. Every append goes through
 * validation, encoding, the hash chain and the idempotency lookup on both stores.
 */
import { randomUUID } from 'node:crypto';
import type { EventStore } from '../src/events/index.ts';
import { eventRegistry } from '../src/domain/event-registry.ts';
import { PostgresEventStore } from '../src/events/postgres/postgres-event-store.ts';
import startTestServer from '../test/support/postgres-server.ts';
import { benchDir, benchMachine, chatMessage as message, formatTiming, loadAverage, readAllPages, timed, type Timing } from './log-setup.ts';

const quick = process.argv.includes('--quick');
const N = quick ? 4_000 : 20_000;
const SINGLE = quick ? 500 : 2_000;
const GROUP = 200;
const dir = benchDir('chronicle-bench-pg');
let run = 0;

const freshIds = (n: number) => Array.from({ length: n }, () => randomUUID());
/** Per CPU-second of this (Node) process only: the PostgreSQL server's CPU is not in it. */
const fmt = (t: Timing) => formatTiming(t, 'Node CPU-s');

async function single(store: EventStore): Promise<Timing> {
  const ids = freshIds(SINGLE);
  return timed(async () => {
    for (const id of ids) await store.append('room-1', [message(id)]);
    return SINGLE;
  });
}

/** GROUP callers in flight at all times, spread over `stores`. */
async function group(stores: EventStore[]): Promise<Timing> {
  const ids = freshIds(N);
  return timed(async () => {
    for (let i = 0; i < N; i += GROUP) {
      await Promise.all(Array.from({ length: GROUP }, (_, j) => stores[j % stores.length].append(`room-${j % 20}`, [message(ids[i + j])])));
    }
    return N;
  });
}

async function batch(store: EventStore): Promise<Timing> {
  const ids = freshIds(N);
  return timed(async () => {
    for (let i = 0; i < N; i += 1000) await store.append('room-1', ids.slice(i, i + 1000).map(message));
    return N;
  });
}

async function replay(store: EventStore): Promise<Timing> {
  return timed(() => readAllPages(store));
}

async function withStores<T>(open: () => Promise<EventStore>, count: number, use: (stores: EventStore[]) => Promise<T>): Promise<T> {
  const stores = await Promise.all(Array.from({ length: count }, open));
  try {
    return await use(stores);
  } finally {
    for (const s of stores) await s.close();
  }
}

const sqlite = () => Promise.resolve<EventStore>(dir.sqliteLog(`log-${++run}.db`));

let stopServer: (() => void) | undefined;
let url = process.env.BENCH_DATABASE_URL ?? '';
try {
  if (!url) {
    stopServer = await startTestServer({ provide: (_key: string, value: string) => (url = value) } as never);
    if (!url) throw new Error('no PostgreSQL binaries found (install postgresql-15 or set PG_BIN), and no BENCH_DATABASE_URL');
  }
  let schema = 0;
  let shared = '';
  const postgres = () => PostgresEventStore.open(url, { registry: eventRegistry, schema: `bench_${++schema}` });
  /** Several stores on ONE log: the group×3 path opens three stores on the same schema. */
  const postgresShared = () => PostgresEventStore.open(url, { registry: eventRegistry, schema: shared });
  const machine = benchMachine();
  console.log(`event log on PostgreSQL vs SQLite — N=${N}, single=${SINGLE}, group size ${GROUP}, ${JSON.stringify(machine)}`);
  console.log(`load average at start: ${loadAverage()}`);
  // Warm-up: JIT, both code paths, the server's caches.
  await withStores(sqlite, 1, (s) => group(s));
  await withStores(postgres, 1, (s) => group(s));

  console.log(`SQLite     single appends, awaited    ${fmt(await withStores(sqlite, 1, ([s]) => single(s)))}`);
  console.log(`SQLite     group commit (${GROUP} callers) ${fmt(await withStores(sqlite, 1, (s) => group(s)))}`);
  console.log(`SQLite     1,000-event batches        ${fmt(await withStores(sqlite, 1, ([s]) => batch(s)))}`);

  console.log(`PostgreSQL single appends, awaited    ${fmt(await withStores(postgres, 1, ([s]) => single(s)))}`);
  console.log(`PostgreSQL group commit (${GROUP} callers) ${fmt(await withStores(postgres, 1, (s) => group(s)))}`);
  shared = `bench_shared_${++schema}`;
  console.log(`PostgreSQL group commit, 3 pools      ${fmt(await withStores(postgresShared, 3, (s) => group(s)))}`);
  const replayStore = `bench_${schema + 1}`;
  console.log(`PostgreSQL 1,000-event batches        ${fmt(await withStores(postgres, 1, ([s]) => batch(s)))}`);
  console.log(
    `PostgreSQL replay, readAll pages      ${fmt(
      await withStores(
        () => PostgresEventStore.open(url, { registry: eventRegistry, schema: replayStore }),
        1,
        ([s]) => replay(s),
      ),
    )}`,
  );

  console.log(`load average at the end: ${loadAverage()}`);
} finally {
  stopServer?.();
  dir.remove();
}
