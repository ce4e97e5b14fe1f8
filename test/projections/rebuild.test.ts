import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openProjections } from '../../src/projections/index.ts';
import { int8Bytes } from '../../src/projections/vec0/int8.ts';
import type { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { memoryStore } from '../support/projection-fixtures.ts';
import { eventsFromSteps } from '../support/random-events.ts';
import { fakeVector } from '../support/fake-embedder.ts';

async function seeded(): Promise<SqliteEventStore> {
  const store = memoryStore();
  const steps: [number, number, number, number][] = [];
  let x = 12345;
  const rnd = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n); // seeded LCG: the same log every run
  for (let i = 0; i < 300; i++) steps.push([rnd(21), rnd(3), rnd(3), rnd(1024)]);
  for (const { stream, event } of eventsFromSteps(steps)) await store.append(stream, [event]);
  return store;
}

describe('rebuild and verify', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chronicle-rebuild-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rebuild drops and replays from seq 0 with progress, giving the same tables', async () => {
    const store = await seeded();
    const path = join(dir, 'read.db');
    const p = openProjections({ path, store, batchSize: 50 });
    await p.start();
    const rooms = p.readModel.roomsOf('p1').map((r) => r.id);
    const messages = p.readModel.listMessages('r1', { limit: 100 });
    const progress: [number, number][] = [];
    await p.rebuild({ onProgress: (d, t) => progress.push([d, t]) });
    expect(progress[0]).toEqual([0, 300]);
    expect(progress.at(-1)).toEqual([300, 300]);
    expect(progress.length).toBeGreaterThanOrEqual(7); // 300 events in pages of 50
    expect(p.readModel.roomsOf('p1').map((r) => r.id)).toEqual(rooms);
    expect(p.readModel.listMessages('r1', { limit: 100 })).toEqual(messages);
    expect(messages.length).toBeGreaterThan(0);
    expect(await p.verifyRebuild()).toEqual({ ok: true, differences: [] });
    // Still live after a rebuild.
    const r = await store.append('room-rz', [{ id: 'late', type: 'room.created', data: { roomId: 'rz', name: 'Late', createdBy: 'a0' } }]);
    await p.waitFor(r.lastSeq);
    expect(p.readModel.roomById('rz')?.name).toBe('Late');
    await p.close();
    await store.close();
    expect(readdirSync(dir).filter((f) => f.includes('verify'))).toEqual([]); // temp DB removed
  });

  it('verifyRebuild reports a tampered row, a missing row and an extra row', async () => {
    const store = await seeded();
    const path = join(dir, 'read.db');
    const p = openProjections({ path, store });
    await p.start();
    const db = new Database(path);
    db.prepare(`UPDATE rooms SET name = 'Hacked' WHERE id = 'r1'`).run();
    db.prepare(`DELETE FROM participants WHERE rowid = (SELECT min(rowid) FROM participants)`).run();
    db.prepare(
      `INSERT INTO accounts (id, username, name, role, password_hash, created_at, seq) VALUES ('ghost', 'ghost', 'G', 'admin', 'enc:v1:x', 0, 0)`,
    ).run();
    db.close();
    const v = await p.verifyRebuild();
    expect(v.ok).toBe(false);
    expect(v.differences).toHaveLength(3);
    expect(v.differences.find((d) => d.startsWith('rooms [r1]'))).toContain('Hacked');
    expect(v.differences.some((d) => d.startsWith('participants [') && d.includes('missing from live'))).toBe(true);
    expect(v.differences.some((d) => d.startsWith('accounts [ghost]: only in live'))).toBe(true);
    // A rebuild repairs the live tables.
    await p.rebuild();
    expect((await p.verifyRebuild()).ok).toBe(true);
    await p.close();
    await store.close();
  });

  it('a rebuild that writes vectors into vec0 in bulk gives the same tables as the live projection built event by event', async () => {
    const seededLog = await seeded();
    const events = await seededLog.readAll({ afterSeq: 0, limit: 1000 });
    const store = memoryStore();
    const p = openProjections({ path: join(dir, 'read.db'), store, batchSize: 7 });
    await p.start(); // empty log: everything below arrives live, in small batches
    for (const e of events) await store.append(e.stream, [{ id: e.id, type: e.type, data: e.data, meta: e.meta } as never]);
    await p.waitFor(await store.head());
    expect(await p.verifyRebuild()).toEqual({ ok: true, differences: [] });
    await p.close();
    await store.close();
    await seededLog.close();
  });

  it('a replay from scratch stopped part-way (crash) is started over on the next open: its vectors were only in memory', async () => {
    const store = await seeded();
    const path = join(dir, 'read.db');
    const { Projector, openReadDb } = await import('../../src/projections/index.ts');
    const crashed = new Projector(openReadDb(path));
    crashed.vectors.beginBulk();
    crashed.applyBatch(await store.readAll({ afterSeq: 0, limit: 180 }));
    expect(crashed.checkpoint()).toBe(180);
    crashed.db.close(); // no endBulk: the process died with the vectors of seq 1–180 unwritten
    const p = openProjections({ path, store });
    await p.start();
    const db = new Database(path);
    expect(db.prepare('SELECT count(*) FROM vector_bulk_replay').pluck().get()).toBe(0);
    db.close();
    expect(await p.verifyRebuild()).toEqual({ ok: true, differences: [] });
    await p.close();
    await store.close();
  });

  it('verifyRebuild also sees a vector that differs', async () => {
    const store = memoryStore();
    await store.append('room-r1', [
      { id: 'e1', type: 'message.posted', data: { messageId: 'm1', roomId: 'r1', authorId: 'u', authorKind: 'user', text: 'hello there' } },
      { id: 'e2', type: 'message.embedded', data: { messageId: 'm1', roomId: 'r1', model: 'fake', vector: fakeVector('hello there', 16) } },
    ]);
    const path = join(dir, 'read.db');
    const p = openProjections({ path, store });
    await p.start();
    const db = new Database(path);
    (await import('sqlite-vec')).load(db);
    // vec0 loses vec_int8's subtype in an UPDATE: replace the row instead.
    const scope = db.prepare('SELECT scope FROM vec_message_16 WHERE rowid = 1').pluck().get();
    db.prepare('DELETE FROM vec_message_16 WHERE rowid = 1').run();
    db.prepare('INSERT INTO vec_message_16 (rowid, scope, embedding) VALUES (1, ?, vec_int8(?))').run(scope, int8Bytes(fakeVector('other', 16)));
    db.close();
    const v = await p.verifyRebuild();
    expect(v.differences).toHaveLength(1);
    expect(v.differences[0]).toMatch(/^vec_message_16 \[1\]/);
    await p.close();
    await store.close();
  });
});

describe('facts', () => {
  it('lists an agent’s latest facts, filtered by room, and retrieves by hybrid search', async () => {
    const store = memoryStore();
    const p = openProjections({ path: ':memory:', store });
    await p.start();
    const facts = [
      ['f1', 'r1', 'Alice likes green tea'],
      ['f2', 'r1', 'Alice lives in Lisbon'],
      ['f3', 'r2', 'Bob plays the violin'],
      ['f4', 'r1', 'Alice is allergic to peanuts'],
    ];
    for (const [factId, roomId, text] of facts) {
      await store.append('agent-g1', [
        {
          id: factId,
          type: 'agent.fact_recorded',
          data: { agentId: 'g1', roomId, factId, text, sourceMessageIds: [], model: 'fake', vector: fakeVector(text, 32) },
        },
      ]);
    }
    await store.append('agent-g2', [
      { id: 'other', type: 'agent.fact_recorded', data: { agentId: 'g2', roomId: 'r1', factId: 'f9', text: 'Alice likes tea too', sourceMessageIds: [] } },
    ]);
    await p.waitFor(await store.head());
    const rm = p.readModel;
    expect(rm.facts('g1', { limit: 2 }).map((f) => f.id)).toEqual(['f3', 'f4']);
    expect(rm.facts('g1', { roomId: 'r1', limit: 10 }).map((f) => f.id)).toEqual(['f1', 'f2', 'f4']);
    const q = 'what tea does Alice like';
    const hits = rm.facts('g1', { query: { text: q, vector: fakeVector(q, 32), k: 2 }, limit: 2 });
    expect(hits[0].id).toBe('f1');
    expect(hits.every((f) => f.agentId === 'g1')).toBe(true);
    expect(rm.facts('g1', { roomId: 'r2', query: { text: q, vector: fakeVector(q, 32), k: 5 }, limit: 5 }).map((f) => f.id)).toEqual(['f3']);
    await p.close();
    await store.close();
  });
});
