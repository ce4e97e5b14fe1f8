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
import { randomBytes, randomUUID } from 'node:crypto';
import type { SqliteEventStore } from '../src/events/index.ts';
import { openRowFormat } from '../src/events/sqlite/row-format.ts';
import { benchDir, benchMachine, chatMessage, formatTiming as fmt, loadAverage, readAllPages, timed, type Timing } from './log-setup.ts';

const quick = process.argv.includes('--quick');
const N = quick ? 10_000 : 60_000;
const SINGLE = quick ? 1_000 : 3_000;
const GROUP = 200;
const dir = benchDir('chronicle-bench');
let run = 0;

// Ids as Chronicle makes them (random UUIDs: inserts land all over the id index), generated before
// timing starts; a fresh pool per log so no append is an idempotent no-op.
let ids: string[] = [];
let idKind: 'uuid' | 'ordered' = 'uuid';
let orderedCounter = 0;
/** 'ordered' stands for time-ordered ids (UUIDv7-like): each new id sorts after the previous one. */
const newBenchId = () => (idKind === 'uuid' ? randomUUID() : `id-${String(++orderedCounter).padStart(12, '0')}`);
const message = (i: number) => chatMessage(ids[i]);

function openStore(): SqliteEventStore {
  run += 1;
  ids = Array.from({ length: N }, newBenchId);
  return dir.sqliteLog(`log-${run}.db`);
}

/** The same rows the group phase writes (random ids, 20 interleaved streams), pre-encoded, no hashing. */
function raw(rows = N, file = 'raw.db'): Promise<Timing> {
  const db = new Database(dir.path(file));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 10000');
  // The newest row format, as a new log gets it; rows are encoded once, before timing.
  const format = openRowFormat(db, true);
  for (let k = 0; k < 20; k++) db.prepare('INSERT INTO streams (name) VALUES (?)').run(`room-${k}`);
  const insert = db.prepare('INSERT INTO events (seq, id, stream_key, version, type, data, meta, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const rawIds = Array.from({ length: rows + 1 }, () => format.encodeId(newBenchId()));
  const data = format.encodeText(JSON.stringify(message(0).data));
  const meta = format.encodeText(JSON.stringify({ timestamp: Date.now(), schemaVersion: 1 }));
  const hash = format.encodeHash(randomBytes(32).toString('hex'));
  const tx = db.transaction((from: number) => {
    // The last transaction is short when rows is not a multiple of GROUP (the --quick warm-up).
    for (let i = from; i < Math.min(from + GROUP, rows + 1); i++) insert.run(i, rawIds[i], (i % 20) + 1, Math.ceil(i / 20), 'message.posted', data, meta, hash);
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
  const store = dir.sqliteLog(`log-${run}.db`);
  const pages = await timed(() => readAllPages(store));
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

const machine = benchMachine();
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
  console.log(`load average during the run: ${loadAverage()}`);
} finally {
  dir.remove();
}
