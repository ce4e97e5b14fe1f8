/**
 * Event log throughput, in one run (~1 minute): `npx tsx bench/event-log.ts [--quick]`
 *
 *   raw          better-sqlite3 inserting pre-encoded rows into the same tables, same pragmas, in
 *                transactions of GROUP rows — the ceiling for this disk and this SQLite;
 *   single       log appends of one event, each awaited before the next (one commit per event);
 *   group        GROUP concurrent callers appending one event each, over and over (group commit);
 *   batch        appends of 1,000 events per call;
 *   replay       readAll pages of 1,000 over the whole log, and subscribe(0) to the head.
 *
 * Every append goes through validation (zod), encoding, the hash chain and the idempotency lookup;
 * raw does none of that. Goals (issue 2): group ≥ 50% of raw; replay ≥ 250k events/s.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { SqliteEventStore, type NewEvent } from '../src/events/index.ts';
import { CREATE_SCHEMA } from '../src/events/sqlite/schema.sql.ts';
import { eventRegistry } from '../src/domain/event-registry.ts';

const quick = process.argv.includes('--quick');
const N = quick ? 10_000 : 60_000;
const SINGLE = quick ? 1_000 : 3_000;
const GROUP = 200;
const dir = mkdtempSync(join(tmpdir(), 'chronicle-bench-'));
let run = 0;

const text = 'The quick brown fox jumps over the lazy dog; a typical chat message is about this long, give or take.';
// Ids as Chronicle makes them (random UUIDs: inserts land all over the id index), generated before
// timing starts; a fresh pool per log so no append is an idempotent no-op.
let ids: string[] = [];
let idKind: 'uuid' | 'ordered' = 'uuid';
let orderedCounter = 0;
/** 'ordered' stands for time-ordered ids (UUIDv7-like): each new id sorts after the previous one. */
const newBenchId = () => (idKind === 'uuid' ? randomUUID() : `id-${String(++orderedCounter).padStart(12, '0')}`);
const message = (i: number): NewEvent => ({
  id: ids[i],
  type: 'message.posted',
  data: { messageId: ids[i], roomId: 'room-1', authorId: 'user-1', authorKind: 'user', text },
});

function openStore(): SqliteEventStore {
  run += 1;
  ids = Array.from({ length: N }, newBenchId);
  return new SqliteEventStore({ registry: eventRegistry, path: join(dir, `log-${run}.db`) });
}

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

interface Timing {
  n: number;
  ms: number;
  /** Events per wall-clock second. */
  perSec: number;
  /** Events per CPU-second of this process: steadier than wall time on a shared machine. */
  perCpuSec: number;
}

async function timed(fn: () => Promise<number> | number): Promise<Timing> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const n = await fn();
  const cpu = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  return { n, ms: Math.round(ms), perSec: rate(n, ms), perCpuSec: rate(n, (cpu.user + cpu.system) / 1000) };
}

const fmt = (t: Timing) =>
  `${t.perSec.toLocaleString('en').padStart(9)} events/s wall, ${t.perCpuSec.toLocaleString('en').padStart(9)} per CPU-s  (${t.n} in ${t.ms} ms)`;

/** The same rows the group phase writes (random ids, 20 interleaved streams), pre-encoded, no hashing. */
function raw(rows = N, file = 'raw.db'): Promise<Timing> {
  const db = new Database(join(dir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 10000');
  db.exec(CREATE_SCHEMA);
  for (let k = 0; k < 20; k++) db.prepare('INSERT INTO streams (name) VALUES (?)').run(`room-${k}`);
  const insert = db.prepare('INSERT INTO events (seq, id, stream_key, version, type, data, meta, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const rawIds = Array.from({ length: rows + 1 }, newBenchId);
  const data = JSON.stringify(message(0).data);
  const meta = JSON.stringify({ timestamp: Date.now(), schemaVersion: 1 });
  const hash = randomBytes(32).toString('hex');
  const tx = db.transaction((from: number) => {
    for (let i = from; i < from + GROUP; i++) insert.run(i, rawIds[i], (i % 20) + 1, Math.ceil(i / 20), 'message.posted', data, meta, hash);
  });
  return timed(() => {
    for (let i = 1; i <= rows; i += GROUP) tx(i);
    return rows;
  }).finally(() => db.close());
}

async function single() {
  const store = openStore();
  const r = await timed(async () => {
    for (let i = 0; i < SINGLE; i++) await store.append('room-room-1', [message(i)]);
    return SINGLE;
  });
  await store.close();
  return r;
}

async function group() {
  const store = openStore();
  const r = await timed(async () => {
    for (let i = 0; i < N; i += GROUP) {
      await Promise.all(Array.from({ length: GROUP }, (_, j) => store.append(`room-${j % 20}`, [message(i + j)])));
    }
    return N;
  });
  await store.close();
  return r;
}

async function batch() {
  const store = openStore();
  const r = await timed(async () => {
    for (let i = 0; i < N; i += 1000)
      await store.append(
        'room-room-1',
        Array.from({ length: 1000 }, (_, j) => message(i + j)),
      );
    return N;
  });
  await store.close();
  return r;
}

/** Replays the log written by `batch` (N events) through readAll pages and through subscribe. */
async function replay() {
  const store = new SqliteEventStore({ registry: eventRegistry, path: join(dir, `log-${run}.db`) });
  const pages = await timed(async () => {
    let after = 0;
    let n = 0;
    for (;;) {
      const page = await store.readAll({ afterSeq: after, limit: 1000 });
      if (page.length === 0) return n;
      n += page.length;
      after = page[page.length - 1].seq;
    }
  });
  const head = await store.head();
  const subscribed = await timed(
    () =>
      new Promise<number>((resolve) => {
        let n = 0;
        const sub = store.subscribe(0).subscribe((e) => {
          n++;
          if (e.seq === head) {
            sub.unsubscribe();
            resolve(n);
          }
        });
      }),
  );
  await store.close();
  return { pages, subscribed };
}

const machine = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
};
try {
  console.log(`event log benchmark — N=${N}, group size ${GROUP}, ${JSON.stringify(machine)}`);
  // Warm-up (JIT, page cache, file growth) so the first measured path is not penalised for going first.
  await raw(N / 4, 'warm-up.db');
  {
    const w = openStore();
    for (let i = 0; i < N / 4; i += GROUP) await Promise.all(Array.from({ length: GROUP }, (_, j) => w.append(`room-${j % 20}`, [message(i + j)])));
    await w.close();
  }
  const r = await raw();
  console.log(`raw batched inserts       ${fmt(r)}`);
  const s = await single();
  console.log(`single appends, awaited   ${fmt(s)}`);
  const g = await group();
  console.log(`group-committed appends   ${fmt(g)}, ${GROUP} concurrent callers`);
  const b = await batch();
  console.log(`1,000-event batch appends ${fmt(b)}`);
  const { pages, subscribed } = await replay();
  console.log(`replay, readAll pages     ${fmt(pages)}`);
  console.log(`replay, subscribe(0)      ${fmt(subscribed)}`);
  const ratio = g.perSec / r.perSec;
  const cpuRatio = g.perCpuSec / r.perCpuSec;
  console.log(
    `group / raw = ${(ratio * 100).toFixed(0)}% wall, ${(cpuRatio * 100).toFixed(0)}% per CPU-s (goal ≥ 50%): ${ratio >= 0.5 ? 'met' : 'MISSED'} (wall)`,
  );
  const replayRate = Math.min(pages.perSec, subscribed.perSec);
  console.log(`replay ≥ 250k events/s: ${replayRate >= 250_000 ? 'met' : 'MISSED'} (wall, slower of the two paths)`);
  // The same comparison with time-ordered ids: how much of the cost is the random-UUID id index.
  idKind = 'ordered';
  const ro = await raw(N, 'raw-ordered.db');
  const go = await group();
  console.log(`time-ordered ids: raw     ${fmt(ro)}`);
  console.log(`time-ordered ids: group   ${fmt(go)}`);
  console.log(
    `time-ordered ids: group / raw = ${((go.perSec / ro.perSec) * 100).toFixed(0)}% wall, ${((go.perCpuSec / ro.perCpuSec) * 100).toFixed(0)}% per CPU-s`,
  );
  console.log(
    `load average during the run: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
