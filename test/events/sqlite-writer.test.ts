import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReadOnlyStoreError, SqliteEventStore, WriterLockedError, type AnyRecordedEvent } from '../../src/events/index.ts';
import { started, until } from './support/events.ts';
import { tempDir } from './support/temp-dir.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

const dir = tempDir();
let n = 0;
const newPath = () => join(dir, `writer-${++n}.db`);

describe('one writer per file', () => {
  it('a second writable store on the same file is refused at open; a read-only one reads beside the writer', async () => {
    const path = newPath();
    const a = new SqliteEventStore({ registry: eventRegistry, path });
    expect(() => new SqliteEventStore({ registry: eventRegistry, path })).toThrow(WriterLockedError);
    const b = new SqliteEventStore({ registry: eventRegistry, path, readonly: true });
    await a.append('room-a', [started('e1')]);
    expect(await b.head()).toBe(1);
    expect((await b.readAll()).map((e) => e.id)).toEqual(['e1']);
    await expect(b.append('room-a', [started('e2')])).rejects.toBeInstanceOf(ReadOnlyStoreError);
    expect(await a.head()).toBe(1);
    await a.append('room-a', [started('e3')]);
    expect(await b.streamVersion('room-a')).toBe(2); // a reader does not trust a stale cache
    expect(await b.verify()).toEqual({ ok: true, checked: 2 });
    await a.close();
    await b.close();

    // Once the writer is gone, a new writer takes over from the file's real head: no fork.
    const c = new SqliteEventStore({ registry: eventRegistry, path });
    const r = await c.append('room-a', [started('e4')], { expectedVersion: 2 });
    expect(r).toMatchObject({ lastSeq: 3, version: 3 });
    expect(await c.verify()).toEqual({ ok: true, checked: 3 });
    await c.close();
  });
});

describe('one writer per file, across processes', () => {
  it('refuses a second process while the writer lives, and lets it take over once the writer is SIGKILLed', { timeout: 30_000 }, async () => {
    const path = newPath();
    const root = resolve(import.meta.dirname, '../..');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/events/support/hold-writer.ts'), path], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes('held'), 'the child to hold the writer lock', 4_000);
      expect(() => new SqliteEventStore({ registry: eventRegistry, path })).toThrow(WriterLockedError);
      const reader = new SqliteEventStore({ registry: eventRegistry, path, readonly: true });
      expect((await reader.readAll()).map((e) => e.id)).toEqual(['from-child']);
      child.kill('SIGKILL');
      await once(child, 'exit');
      // The SIGKILLed writer left its WAL behind; a reader still sees every committed event.
      expect(await reader.verify()).toEqual({ ok: true, checked: 1 });
      await reader.close();
      const store = new SqliteEventStore({ registry: eventRegistry, path });
      await expect(store.append('room-a', [started('e1')])).resolves.toMatchObject({ lastSeq: 2 });
      expect(await store.verify()).toEqual({ ok: true, checked: 2 });
      await store.close();
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('group commit failures', () => {
  it('a failed COMMIT rejects every append of the group, publishes nothing, and the log continues cleanly', async () => {
    const store = new SqliteEventStore({ registry: eventRegistry, path: newPath() });
    await store.append('room-a', [started('e0')]);
    const seen: AnyRecordedEvent[] = [];
    const sub = store.subscribe().subscribe((e) => seen.push(e));
    const db = store.database;
    const exec = db.exec.bind(db);
    let failed = false;
    db.exec = ((sql: string) => {
      if (sql === 'COMMIT' && !failed) {
        failed = true;
        throw new Error('disk I/O error (simulated)');
      }
      return exec(sql);
    }) as typeof db.exec;

    const group = await Promise.allSettled([store.append('room-a', [started('e1')]), store.append('room-b', [started('e2')])]);
    expect(group.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await store.head()).toBe(1);
    expect(await store.getById('e1')).toBeUndefined();
    expect(await store.streamVersion('room-b')).toBe(0);

    const next = await store.append('room-b', [started('e2')], { expectedVersion: 'no_stream' });
    expect(next).toMatchObject({ lastSeq: 2, version: 1 });
    await new Promise((r) => setTimeout(r, 5));
    expect(seen.map((e) => e.id)).toEqual(['e0', 'e2']);
    expect(await store.verify()).toEqual({ ok: true, checked: 2 });
    sub.unsubscribe();
    await store.close();
  });

  it('a SQLite error in one append of a group fails only that append', async () => {
    const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
    store.database.exec(`CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON events WHEN NEW.id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END`);
    const results = await Promise.allSettled([
      store.append('room-a', [started('a1')]),
      store.append('room-b', [started('b1'), started('boom')]),
      store.append('room-a', [started('a2')], { expectedVersion: 1 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.readAll()).map((e) => [e.seq, e.id])).toEqual([
      [1, 'a1'],
      [2, 'a2'],
    ]);
    expect(await store.streamVersion('room-b')).toBe(0);
    expect((await store.verify()).ok).toBe(true);
    // Alone in its transaction, the failing append is rolled back just the same.
    await expect(store.append('room-b', [started('boom')])).rejects.toThrow(/boom refused/);
    expect(await store.head()).toBe(2);
    await store.close();
  });

  it("a live subscriber's append made during close's final flush is committed too", async () => {
    const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
    const echoes: Promise<unknown>[] = [];
    store.subscribe().subscribe((e) => {
      if (!e.id.startsWith('echo-')) echoes.push(store.append('room-echo', [started(`echo-${e.id}`)]).catch((err: Error) => err.name));
    });
    await new Promise((r) => setTimeout(r, 0)); // the subscriber is past its (empty) catch-up, now live
    const first = store.append('room-a', [started('e1')]);
    await store.close();
    await first;
    expect(await Promise.all(echoes)).toEqual([expect.objectContaining({ lastSeq: 2 })]);
  });
});
