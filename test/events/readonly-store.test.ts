import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ReadOnlyStoreError, SqliteEventStore, WriterLockedError, exportLog, importLog, type AnyRecordedEvent } from '../../src/events/index.ts';
import { WriterLock } from '../../src/events/sqlite/writer-lock.ts';
import { started, until } from './support/events.ts';
import { tempDir } from './support/temp-dir.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

/**
 * `{ readonly: true }` is how verify and export look at a log a server is writing: no writer lock,
 * a read-only connection, and every write path refused with ReadOnlyStoreError.
 */
const dir = tempDir();
let n = 0;
const newPath = () => join(dir, `ro-${++n}.db`);

async function logWith(path: string, ids: string[]): Promise<void> {
  const store = new SqliteEventStore({ registry: eventRegistry, path });
  if (ids.length > 0)
    await store.append(
      'room-a',
      ids.map((id, i) => started(id, i)),
    );
  await store.close();
}

describe('read-only store', () => {
  it('reads, verifies and exports a log while its writer keeps appending', async () => {
    const path = newPath();
    const writer = new SqliteEventStore({ registry: eventRegistry, path });
    await writer.append('room-a', [started('e1'), started('e2')]);
    const reader = new SqliteEventStore({ registry: eventRegistry, path, readonly: true });
    expect(await reader.head()).toBe(2);
    await writer.append('room-b', [started('e3')]);
    expect(await reader.head()).toBe(3);
    expect((await reader.readStream('room-b')).map((e) => e.id)).toEqual(['e3']);
    expect(await reader.verify()).toEqual({ ok: true, checked: 3 });

    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    expect(await exportLog(reader, out)).toBe(3);
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual(['e1', 'e2', 'e3']);
    await reader.close();
    await writer.close();
  });

  it('refuses append, import and snapshot writes, and the file is unchanged', async () => {
    const path = newPath();
    await logWith(path, ['e1']);
    const before = readFileSync(path);
    const reader = new SqliteEventStore({ registry: eventRegistry, path, readonly: true });
    await expect(reader.append('room-a', [started('e2')])).rejects.toBeInstanceOf(ReadOnlyStoreError);
    await expect(reader.append('room-a', [started('e2')])).rejects.toThrow(/read-only/);
    await expect(reader.importRaw([])).rejects.toBeInstanceOf(ReadOnlyStoreError);
    await expect(reader.snapshots.save({ actorId: 'agent-1', seq: 1, machineVersion: '1', state: {} })).rejects.toThrow(/readonly/i);
    expect(await reader.snapshots.load('agent-1')).toBeUndefined();
    expect(await reader.head()).toBe(1);
    await reader.close();
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('importLog into a read-only store is refused before reading its input', async () => {
    const path = newPath();
    await logWith(path, []);
    const reader = new SqliteEventStore({ registry: eventRegistry, path, readonly: true });
    await expect(importLog(reader, PassThrough.from(['{"seq":1}\n']))).rejects.toBeInstanceOf(ReadOnlyStoreError);
    await reader.close();
  });

  it('subscribe catches up from the file and completes on close', async () => {
    const path = newPath();
    await logWith(path, ['e1', 'e2']);
    const reader = new SqliteEventStore({ registry: eventRegistry, path, readonly: true });
    const seen: AnyRecordedEvent[] = [];
    const done = new Promise<void>((resolve, reject) => reader.subscribe(0).subscribe({ next: (e) => seen.push(e), complete: resolve, error: reject }));
    await new Promise((r) => setTimeout(r, 20));
    await reader.close();
    await done;
    expect(seen.map((e) => e.id)).toEqual(['e1', 'e2']);
  });

  it('opened after its writer was SIGKILLed, sees every committed event still in the WAL', { timeout: 30_000 }, async () => {
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
      child.kill('SIGKILL');
      await once(child, 'exit');
      expect(existsSync(`${path}-wal`)).toBe(true); // not checkpointed: the event is only in the WAL
      const reader = new SqliteEventStore({ registry: eventRegistry, path, readonly: true });
      expect((await reader.readAll()).map((e) => e.id)).toEqual(['from-child']);
      expect(await reader.verify()).toEqual({ ok: true, checked: 1 });
      await reader.close();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('does not create a missing file, and names a file that is not an event log', () => {
    const missing = join(dir, 'missing.db');
    expect(() => new SqliteEventStore({ registry: eventRegistry, path: missing, readonly: true })).toThrow();
    expect(existsSync(missing)).toBe(false);

    const other = newPath();
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(() => new SqliteEventStore({ registry: eventRegistry, path: other, readonly: true })).toThrow(/not a Chronicle event log/);
  });

  it('is refused for :memory: (a private in-memory log has nothing to read)', () => {
    expect(() => new SqliteEventStore({ registry: eventRegistry, path: ':memory:', readonly: true })).toThrow(/file path/);
  });
});

describe('writer lock at open', () => {
  it('is released when the open fails after taking it, so the next writer is not locked out', () => {
    const path = newPath();
    writeFileSync(path, 'this is not a SQLite database, but long enough to have a header ..........................................');
    expect(() => new SqliteEventStore({ registry: eventRegistry, path })).toThrow();
    const lock = WriterLock.tryAcquire(path);
    expect(lock).toBeDefined();
    lock!.release();
  });

  it('is released by close, and a second writable open before that fails with a clear message', async () => {
    const path = newPath();
    const a = new SqliteEventStore({ registry: eventRegistry, path });
    expect(() => new SqliteEventStore({ registry: eventRegistry, path })).toThrow(WriterLockedError);
    expect(() => new SqliteEventStore({ registry: eventRegistry, path })).toThrow(
      new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} already has a writer`),
    );
    await a.close();
    const b = new SqliteEventStore({ registry: eventRegistry, path });
    await b.append('room-a', [started('e1')]);
    await b.close();
  });
});
