import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allProjections, openProjections, type Projection } from '../../src/projections/index.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { failingFirstSubscription } from '../support/failing-subscription.ts';
import { memoryStore, put } from '../support/projection-fixtures.ts';

/** A projection that cannot apply rooms named "poison" (a stand-in for a projector bug). */
const fragile: Projection = {
  name: 'fragile',
  version: 1,
  tables: ['fragile'],
  vectorKinds: [],
  handles: ['room.created'],
  ddl: 'CREATE TABLE IF NOT EXISTS fragile (id TEXT PRIMARY KEY)',
  prepare({ db }) {
    const ins = db.prepare('INSERT INTO fragile (id) VALUES (?)');
    return (e) => {
      if (e.type !== 'room.created') return;
      if (e.data.name === 'poison') throw new Error('cannot apply');
      ins.run(e.data.roomId);
    };
  },
};

describe('projection runner', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chronicle-runner-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an event a projection cannot apply is logged and skipped; the rest of its batch still applies', async () => {
    const store = memoryStore();
    const lines: string[] = [];
    const p = openProjections({
      path: ':memory:',
      store,
      projections: [...allProjections, fragile],
      logger: createLogger('error', {}, (l) => lines.push(l) > 0),
    });
    await store.append('room-a', [{ id: 'a', type: 'room.created', data: { roomId: 'a', name: 'fine', createdBy: 'u' } }]);
    await store.append('room-b', [{ id: 'b', type: 'room.created', data: { roomId: 'b', name: 'poison', createdBy: 'u' } }]);
    await store.append('room-c', [{ id: 'c', type: 'room.created', data: { roomId: 'c', name: 'fine too', createdBy: 'u' } }]);
    await p.start(); // catch-up applies the three in one batch: it fails, then they go one by one
    expect(p.readModel.checkpoint()).toBe(3);
    expect(p.readModel.roomById('a')?.name).toBe('fine');
    expect(p.readModel.roomById('c')?.name).toBe('fine too');
    // The whole event was skipped (one transaction per event on the slow path), for every projection.
    expect(p.readModel.roomById('b')).toBeUndefined();
    expect(lines.some((l) => l.includes('could not apply') && l.includes('"seq":2'))).toBe(true);
    await p.close();
    await store.close();
  });

  it('a projection whose version changed is dropped and replayed alone', async () => {
    const store = memoryStore();
    const path = join(dir, 'read.db');
    let p = openProjections({ path, store, projections: [...allProjections, fragile] });
    await p.start();
    await p.waitFor(await put(store, 'room-a', 'room.created', { roomId: 'a', name: 'one', createdBy: 'u' }));
    await p.close();
    // Version 2 records rooms upper-cased: after reopening, its table holds only version-2 rows.
    const v2: Projection = {
      ...fragile,
      version: 2,
      ddl: 'CREATE TABLE IF NOT EXISTS fragile (id TEXT PRIMARY KEY, v INTEGER NOT NULL)',
      prepare({ db }) {
        const ins = db.prepare('INSERT INTO fragile (id, v) VALUES (?, 2)');
        return (e) => void (e.type === 'room.created' && ins.run(e.data.roomId.toUpperCase()));
      },
    };
    p = openProjections({ path, store, projections: [...allProjections, v2] });
    expect(p.readModel.checkpoint()).toBe(0); // the lowest checkpoint: v2 starts from 0
    expect(p.readModel.roomById('a')?.name).toBe('one'); // the others kept theirs
    await p.start();
    expect(p.readModel.checkpoint()).toBe(1);
    expect((await p.verifyRebuild()).ok).toBe(true);
    await p.close();
    await store.close();
  });

  it('waitFor after close rejects instead of hanging', async () => {
    const store = memoryStore();
    const p = openProjections({ path: ':memory:', store });
    await p.start();
    const pending = p.waitFor(99);
    await p.close();
    await expect(pending).rejects.toThrow('closed');
    await expect(p.waitFor(100)).rejects.toThrow('closed');
    await store.close();
  });

  it('a live subscription that fails is resumed from the checkpoint: no event is lost and waiters still get their answer', async () => {
    const store = memoryStore();
    // The store's first live subscription dies after one event (a dropped connection, say).
    const flaky = failingFirstSubscription(store);
    const p = openProjections({ path: ':memory:', store: flaky });
    await p.start();
    await put(store, 'room-a', 'room.created', { roomId: 'a', name: 'first', createdBy: 'u' });
    const last = await put(store, 'room-b', 'room.created', { roomId: 'b', name: 'second', createdBy: 'u' });
    await p.waitFor(last);
    expect(p.readModel.roomById('a')?.name).toBe('first');
    expect(p.readModel.roomById('b')?.name).toBe('second');
    await p.close();
    await store.close();
  });
});
