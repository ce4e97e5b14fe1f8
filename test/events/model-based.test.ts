import fc from 'fast-check';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  SqliteEventStore,
  WrongExpectedVersionError,
  type AnyRecordedEvent,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
} from '../../src/events/index.ts';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.ts';
import { createTestDatabase, hasPostgres } from '../support/postgres.ts';
import { started, until } from './support/events.ts';
import { tempDir } from './support/temp-dir.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

/**
 * Each store (SQLite in memory and on file, PostgreSQL when the run has a server) against a tiny
 * in-memory model of the log, driven by random command sequences:
 * appends with every expectation kind, duplicate ids (a small id pool makes them frequent), groups
 * of appends issued in one tick (group commit: each caller's outcome must be the model's, applied in
 * issue order), reads, and subscriptions whose received list must equal the model's log.
 */

interface Spec {
  stream: string;
  ids: string[];
  expected: ExpectedVersion;
}

type Outcome = { ok: true; result: AppendResult } | { ok: false; actual: number };

class Model {
  readonly log: { id: string; stream: string; version: number }[] = [];
  readonly versions = new Map<string, number>();
  readonly seqOf = new Map<string, number>();

  apply(spec: Spec): Outcome {
    const current = this.versions.get(spec.stream) ?? 0;
    const fresh = [...new Set(spec.ids)].filter((id) => !this.seqOf.has(id));
    if (fresh.length > 0) {
      const e = spec.expected;
      const ok = e === 'any' || (e === 'no_stream' && current === 0) || (e === 'stream_exists' && current > 0) || e === current;
      if (!ok) return { ok: false, actual: current };
    }
    const before = new Set(this.seqOf.keys());
    let version = current;
    for (const id of fresh) {
      version += 1;
      this.log.push({ id, stream: spec.stream, version });
      this.seqOf.set(id, this.log.length);
    }
    if (fresh.length > 0) this.versions.set(spec.stream, version);
    const seen = new Set<string>();
    const positions = spec.ids.map((id) => {
      const duplicate = before.has(id) || seen.has(id);
      seen.add(id);
      return { id, seq: this.seqOf.get(id)!, duplicate };
    });
    return { ok: true, result: { lastSeq: Math.max(...positions.map((p) => p.seq)), version, positions } };
  }
}

interface Real {
  store: EventStore;
  received: AnyRecordedEvent[];
  subs: Subscription[];
}

const spec = fc.record({
  stream: fc.constantFrom('room-a', 'room-b', 'room-c'),
  ids: fc.array(
    fc.integer({ min: 0, max: 14 }).map((i) => `e${i}`),
    { minLength: 1, maxLength: 3 },
  ),
  expected: fc.oneof(fc.constantFrom<ExpectedVersion>('any', 'no_stream', 'stream_exists'), fc.integer({ min: 0, max: 5 })),
});

async function outcomeOf(p: Promise<AppendResult>): Promise<Outcome> {
  try {
    return { ok: true, result: await p };
  } catch (err) {
    if (err instanceof WrongExpectedVersionError) return { ok: false, actual: err.actual };
    throw err;
  }
}

class AppendGroup implements fc.AsyncCommand<Model, Real> {
  constructor(readonly specs: Spec[]) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    // All issued in the same tick: one group commit.
    const pending = this.specs.map((s) =>
      outcomeOf(
        r.store.append(
          s.stream,
          s.ids.map((id) => started(id)),
          { expectedVersion: s.expected },
        ),
      ),
    );
    const actual = await Promise.all(pending);
    const expected = this.specs.map((s) => m.apply(s));
    expect(actual).toEqual(expected);
  }
  toString = () => `append(${this.specs.map((s) => `${s.stream}[${s.ids}]@${String(s.expected)}`).join(' | ')})`;
}

class ReadEverything implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const all = await r.store.readAll({ limit: 10_000 });
    expect(all.map((e) => ({ id: e.id, stream: e.stream, version: e.version }))).toEqual(m.log);
    expect(all.map((e) => e.seq)).toEqual(m.log.map((_, i) => i + 1));
    expect(await r.store.head()).toBe(m.log.length);
    for (const stream of ['room-a', 'room-b', 'room-c']) {
      expect(await r.store.streamVersion(stream)).toBe(m.versions.get(stream) ?? 0);
      expect((await r.store.readStream(stream)).map((e) => e.id)).toEqual(m.log.filter((e) => e.stream === stream).map((e) => e.id));
    }
  }
  toString = () => 'readEverything';
}

class CheckSubscription implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await until(() => r.received.length >= m.log.length, 'the subscriber to catch up');
    expect(r.received.map((e) => e.id)).toEqual(m.log.map((e) => e.id));
  }
  toString = () => 'checkSubscription';
}

class SubscribeLate implements fc.AsyncCommand<Model, Real> {
  constructor(readonly fraction: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    // Starts mid-log; later commands keep appending, and CheckSubscription-like equality must hold at the end.
    const after = Math.floor(m.log.length * this.fraction);
    const got: AnyRecordedEvent[] = [];
    r.subs.push(r.store.subscribe(after).subscribe((e) => got.push(e)));
    const expectedNow = m.log.slice(after).map((e) => e.id);
    await until(() => got.length >= expectedNow.length, 'late subscriber catch-up');
    expect(got.map((e) => e.id).slice(0, expectedNow.length)).toEqual(expectedNow);
  }
  toString = () => `subscribeLate(${this.fraction.toFixed(2)})`;
}

const commands = [
  spec.map((s) => new AppendGroup([s])),
  fc.array(spec, { minLength: 2, maxLength: 6 }).map((ss) => new AppendGroup(ss)),
  fc.constant(new ReadEverything()),
  fc.constant(new CheckSubscription()),
  fc.double({ min: 0, max: 1, noNaN: true }).map((f) => new SubscribeLate(f)),
];

const dir = tempDir();
let files = 0;
let pgUrl: Promise<string> | undefined;
let schemas = 0;
// ':memory:' is fast; a file adds WAL, the writer lock taken at open and a real page cache;
// PostgreSQL (one schema per run, one database per file) adds real round trips and the head-row lock.
const stores: [string, () => Promise<EventStore>, number][] = [
  ['SQLite :memory:', async () => new SqliteEventStore({ registry: eventRegistry, path: ':memory:' }), 150],
  ['SQLite file', async () => new SqliteEventStore({ registry: eventRegistry, path: join(dir, `model-${++files}.db`) }), 40],
];
if (hasPostgres()) {
  stores.push([
    'PostgreSQL',
    async () => PostgresEventStore.open(await (pgUrl ??= createTestDatabase('model')), { registry: eventRegistry, schema: `model_${++schemas}` }),
    40,
  ]);
}

describe.each(stores)('%s store against a model (fast-check)', (_kind, open, numRuns) => {
  it('every command sequence leaves store, subscribers and model in agreement', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
        const store = await open();
        const real: Real = { store, received: [], subs: [] };
        real.subs.push(store.subscribe().subscribe((e) => real.received.push(e)));
        const model = new Model();
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await new CheckSubscription().run(model, real);
          expect(await store.verify()).toEqual({ ok: true, checked: model.log.length });
        } finally {
          for (const s of real.subs) s.unsubscribe();
          await store.close();
        }
      }),
      { numRuns },
    );
  });
});
