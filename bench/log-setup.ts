/**
 * What the event-log benchmarks share (bench/event-log.ts, event-log-postgres.ts, projections.ts,
 * time-travel.ts): a throwaway directory of SQLite logs, the chat message they append, the timing in
 * events per wall second and per CPU second, and the machine line their RESULTS files quote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { eventRegistry } from '../src/domain/event-registry.ts';
import type { EventStore, NewEvent } from '../src/events/index.ts';
import { SqliteEventStore } from '../src/events/sqlite/sqlite-event-store.ts';

/** A fresh temporary directory for a run's logs; `remove()` deletes it and all in it. */
export function benchDir(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return {
    path: (file: string) => join(dir, file),
    /** A SQLite log in the directory, with Chronicle's event registry and default pragmas. */
    sqliteLog: (file: string) => new SqliteEventStore({ registry: eventRegistry, path: join(dir, file) }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** About as long as a typical chat message. */
export const chatText = 'The quick brown fox jumps over the lazy dog; a typical chat message is about this long, give or take.';

/** The event the log benchmarks append: a user's chat message whose event id is its message id. */
export const chatMessage = (id: string): NewEvent => ({
  id,
  type: 'message.posted',
  data: { messageId: id, roomId: 'room-1', authorId: 'user-1', authorKind: 'user', text: chatText },
});

export interface Timing {
  n: number;
  ms: number;
  /** Events per wall-clock second. */
  perSec: number;
  /** Events per CPU-second of this (Node) process: steadier than wall time on a shared machine. */
  perCpuSec: number;
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

/** Times `fn`, which answers how many events it handled. */
export async function timed(fn: () => Promise<number> | number): Promise<Timing> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const n = await fn();
  const cpu = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  return { n, ms: Math.round(ms), perSec: rate(n, ms), perCpuSec: rate(n, (cpu.user + cpu.system) / 1000) };
}

/** `cpu` names whose CPU time it is (the PostgreSQL bench counts only Node's, not the server's). */
export const formatTiming = (t: Timing, cpu = 'CPU-s') =>
  `${t.perSec.toLocaleString('en').padStart(9)} events/s wall, ${t.perCpuSec.toLocaleString('en').padStart(9)} per ${cpu}  (${t.n} in ${t.ms} ms)`;

/** Reads the whole log in pages of 1,000 (the replay path) and answers how many events it read. */
export async function readAllPages(store: Pick<EventStore, 'readAll'>): Promise<number> {
  let after = 0;
  let n = 0;
  for (;;) {
    const page = await store.readAll({ afterSeq: after, limit: 1000 });
    if (page.length === 0) return n;
    n += page.length;
    after = page[page.length - 1].seq;
  }
}

/** The machine a run was on, for its RESULTS file. */
export const benchMachine = () => ({
  date: new Date().toISOString(),
  node: process.version,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
});

/** The 1, 5 and 15 minute load averages: how busy the shared box was. */
export const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
