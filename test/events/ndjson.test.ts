import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportLog, importLog, ImportRefusedError, SqliteEventStore, type AnyRecordedEvent } from '../../src/events/index.ts';
import { chainHash, GENESIS_HASH } from '../../src/events/hash.ts';
import { embedded, roomCreated, started } from './support/events.ts';
import { tempDir } from './support/temp-dir.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

const dir = tempDir();
let n = 0;
const newPath = () => join(dir, `ndjson-${++n}.db`);
let exported: string;
let original: AnyRecordedEvent[];

async function exportToString(store: SqliteEventStore, pageSize?: number): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await exportLog(store, out, { pageSize });
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  const store = new SqliteEventStore({ registry: eventRegistry, path: newPath() });
  await store.append('room-a', [roomCreated('e1'), { ...started('e2'), meta: { causationId: 'e1', author: { kind: 'user', id: 'u1' } } }]);
  await store.append('room-b', [embedded('m1', new Float32Array([1.5, -2, 0.25]))]);
  for (let i = 3; i <= 12; i++) await store.append(i % 2 ? 'room-a' : 'room-c', [started(`e${i}`, i)]);
  original = await store.readAll();
  exported = await exportToString(store, 4);
  await store.close();
});

const lines = () => exported.trimEnd().split('\n');
const refusal = async (text: string, into = new SqliteEventStore({ registry: eventRegistry, path: newPath() })) => {
  const err = await importLog(into, Readable.from([text])).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(await into.head()).toBe(0); // nothing written
  expect(await into.readAll()).toEqual([]);
  await into.close();
  return err as ImportRefusedError;
};

describe('NDJSON export', () => {
  it('writes one line per event in seq order with the stored encoded data, meta and hash', () => {
    expect(lines()).toHaveLength(13);
    const rows = lines().map((l) => JSON.parse(l));
    expect(rows.map((r) => r.seq)).toEqual(original.map((e) => e.seq));
    expect(Object.keys(rows[0])).toEqual(['seq', 'id', 'stream', 'version', 'type', 'data', 'meta', 'hash']);
    expect(typeof rows[2].data).toBe('string');
    expect(rows[2].data).toContain('$f32');
    expect(rows.map((r) => r.hash)).toEqual(original.map((e) => e.hash));
  });

  it('reports progress', async () => {
    const store = new SqliteEventStore({ registry: eventRegistry, path: newPath() });
    await importLog(store, Readable.from([exported]));
    const progress: number[] = [];
    await exportLog(store, new PassThrough().resume(), { pageSize: 5, onProgress: (p) => progress.push(p.seq) });
    expect(progress).toEqual([5, 10, 13]);
    await store.close();
  });
});

describe('NDJSON import', () => {
  it('round-trips exactly: same events, same hashes, the imported log verifies and re-exports byte for byte', async () => {
    const store = new SqliteEventStore({ registry: eventRegistry, path: newPath() });
    const progress: number[] = [];
    expect(await importLog(store, Readable.from([exported]), { pageSize: 5, onProgress: (p) => progress.push(p.events) })).toBe(13);
    expect(progress).toEqual([5, 10, 13]);
    expect(await store.readAll()).toEqual(original);
    expect(await store.verify()).toEqual({ ok: true, checked: 13 });
    expect(await exportToString(store)).toBe(exported);
    // The imported log is a normal log: appends continue the chain.
    await store.append('room-a', [started('after')], { expectedVersion: 7 });
    expect((await store.verify()).ok).toBe(true);
    await store.close();
  });

  it('imports into a database path, and live subscribers of the empty log get the events', async () => {
    const path = newPath();
    expect(await importLog({ path, registry: eventRegistry }, Readable.from(exported.split(/(?<=\n)/)))).toBe(13);
    const store = new SqliteEventStore({ registry: eventRegistry, path });
    expect(await store.readAll()).toEqual(original);
    await store.close();

    const empty = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
    const seen: number[] = [];
    empty.subscribe().subscribe((e) => seen.push(e.seq));
    await new Promise((r) => setTimeout(r, 0));
    await importLog(empty, Readable.from([exported]));
    expect(seen).toEqual(original.map((e) => e.seq));
    await empty.close();
  });

  it('refuses a log that is not empty', async () => {
    const store = new SqliteEventStore({ registry: eventRegistry, path: newPath() });
    await store.append('room-z', [started('z1')]);
    const err = await importLog(store, Readable.from([exported])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImportRefusedError);
    expect(err).toMatchObject({ reason: 'not_empty' });
    expect(await store.head()).toBe(1);
    await store.close();
  });

  it('refuses bad JSON, naming the line', async () => {
    const l = lines();
    l[4] = l[4].slice(0, -3);
    expect(await refusal(l.join('\n'))).toMatchObject({ reason: 'bad_json', line: 5, message: expect.stringMatching(/^line 5: not JSON/) });
  });

  it('refuses a row with a missing or mistyped field', async () => {
    const l = lines();
    const row = JSON.parse(l[6]);
    row.version = 'two';
    delete row.hash;
    l[6] = JSON.stringify(row);
    expect(await refusal(l.join('\n'))).toMatchObject({ reason: 'bad_row', line: 7, seq: 7, message: expect.stringMatching(/version.*hash/) });
  });

  it('refuses an edited payload as a broken chain at its line and seq', async () => {
    const l = lines();
    l[5] = l[5].replace('agent-5', 'agent-6');
    expect(l[5]).toContain('agent-6');
    expect(await refusal(l.join('\n'))).toMatchObject({ reason: 'broken_chain', line: 6, seq: 6, message: expect.stringMatching(/hash_mismatch/) });
  });

  it('refuses a missing line and swapped lines', async () => {
    const missing = lines().filter((_, i) => i !== 8);
    expect(await refusal(missing.join('\n'))).toMatchObject({ reason: 'broken_chain', line: 9, seq: 10, message: expect.stringMatching(/seq_gap/) });
    const swapped = lines();
    [swapped[3], swapped[4]] = [swapped[4], swapped[3]];
    expect(await refusal(swapped.join('\n'))).toMatchObject({ reason: 'broken_chain', line: 4, seq: 5 });
  });

  it('refuses a duplicate id even when the chain was recomputed around it', async () => {
    const rows = [
      { seq: 1, id: 'x', stream: 'room-a', version: 1, type: 'agent.started', data: '{"agentId":"a"}', meta: '{"timestamp":1,"schemaVersion":1}', hash: '' },
      { seq: 2, id: 'x', stream: 'room-a', version: 2, type: 'agent.started', data: '{"agentId":"b"}', meta: '{"timestamp":2,"schemaVersion":1}', hash: '' },
    ];
    let prev = GENESIS_HASH;
    for (const r of rows) prev = r.hash = chainHash(prev, { ...r, dataJson: r.data, metaJson: r.meta });
    const text = rows.map((r) => JSON.stringify(r)).join('\n');
    expect(await refusal(text)).toMatchObject({ reason: 'duplicate_id', line: 2, seq: 2 });
  });
});
