import { describe, expect, it } from 'vitest';
import { allProjections, openProjections } from '../../src/projections/index.ts';
import { ReadCache } from '../../src/projections/read-cache.ts';
import { sha256Hex } from '../../src/shared/ids.ts';
import { character, memoryStore, put } from '../support/projection-fixtures.ts';

/** A sealed password hash as the projection stores it (its content is not read here). */
const HASH = 'enc:v1:aa:bb:cc';

describe('read model caches', () => {
  it('a read right after a write sees it: rooms, agents, facts and documents cached before the write', async () => {
    const store = memoryStore();
    const p = openProjections({ path: ':memory:', store });
    await p.start();
    const rm = p.readModel;
    let seq = await put(store, 'agent-g', 'agent.created', { agentId: 'g', name: 'Ada', character: character('Ada') });
    seq = await put(store, 'room-r', 'room.created', { roomId: 'r', name: 'Room', createdBy: 'u' });
    await p.waitFor(seq);
    // Warm every cache, including "nothing there".
    expect(rm.roomById('r')?.participants).toEqual([]);
    expect(rm.agentById('g')?.name).toBe('Ada');
    expect(rm.facts('g', { roomId: 'r', limit: 10 })).toEqual([]);
    expect(rm.listDocuments('g')).toEqual([]);
    expect(rm.roomById('nope')).toBeUndefined();

    await put(store, 'room-r', 'room.participant_joined', { roomId: 'r', participantId: 'g', kind: 'agent', name: 'Ada' });
    await put(store, 'agent-g', 'agent.updated', { agentId: 'g', name: 'Adaline', character: character('Adaline') });
    await put(store, 'agent-g', 'agent.fact_recorded', { agentId: 'g', roomId: 'r', factId: 'f1', text: 'likes tea', sourceMessageIds: [] });
    await put(store, 'document-d', 'knowledge.document_added', {
      documentId: 'd',
      agentId: 'g',
      title: 'Doc',
      source: 'text',
      contentHash: sha256Hex('x'),
      chars: 1,
      totalChunks: 0,
    });
    seq = await put(store, 'room-n', 'room.created', { roomId: 'nope', name: 'Now it exists', createdBy: 'u' });
    await p.waitFor(seq);

    expect(rm.roomById('r')?.participants.map((x) => x.id)).toEqual(['g']);
    expect(rm.agentById('g')?.name).toBe('Adaline');
    expect(rm.facts('g', { roomId: 'r', limit: 10 }).map((f) => f.text)).toEqual(['likes tea']);
    expect(rm.listDocuments('g').map((d) => d.id)).toEqual(['d']);
    expect(rm.roomById('nope')?.name).toBe('Now it exists');
    await p.close();
  });

  it('an account (or its absence) cached before a role change, a sign-out everywhere or its registration is read anew after it', async () => {
    const store = memoryStore();
    const p = openProjections({ path: ':memory:', store });
    await p.start();
    const rm = p.readModel;
    let seq = await put(store, 'account-a1', 'account.registered', { accountId: 'a1', username: 'alice', name: 'Alice', role: 'user', passwordHash: HASH });
    await p.waitFor(seq);
    expect(rm.accountById('a1')).toMatchObject({ role: 'user', tokenVersion: 0 });
    expect(rm.accountById('a2')).toBeUndefined();
    await put(store, 'account-a1', 'account.role_changed', { accountId: 'a1', role: 'admin' });
    seq = await put(store, 'account-a2', 'account.registered', { accountId: 'a2', username: 'bob', name: 'Bob', role: 'user', passwordHash: HASH });
    await p.waitFor(seq);
    expect(rm.accountById('a1')).toMatchObject({ role: 'admin', tokenVersion: 1 });
    expect(rm.accountById('a2')?.name).toBe('Bob');
    seq = await put(store, 'account-a1', 'auth.sessions_revoked', { accountId: 'a1', reason: 'signed out everywhere' });
    await p.waitFor(seq);
    expect(rm.accountById('a1')?.tokenVersion).toBe(2);
    await p.close();
  });

  it("hands out frozen values (shared by every caller) and drops a group only for its projection's events", () => {
    const cache = new ReadCache(allProjections, ['rooms', 'agents']);
    let loads = 0;
    const load = () => (loads++, { name: 'x', list: [{ a: 1 }] });
    const v = cache.get('rooms', 'r', load);
    expect(Object.isFrozen(v) && Object.isFrozen(v.list[0])).toBe(true);
    expect(cache.get('rooms', 'r', load)).toBe(v);
    cache.applied([{ type: 'message.posted' }, { type: 'agent.updated' }]);
    expect(cache.get('rooms', 'r', load)).toBe(v);
    cache.applied([{ type: 'room.participant_left' }]);
    expect(cache.get('rooms', 'r', load)).not.toBe(v);
    expect(loads).toBe(2);
    expect(cache.get('messages', 'm', load)).not.toBe(cache.get('messages', 'm', load)); // not a cached group
  });
});
