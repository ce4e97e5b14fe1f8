import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openProjections, type Projections } from '../../src/projections/index.ts';
import type { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { character, memoryStore, put } from '../support/projection-fixtures.ts';

const HASH = 'enc:v1:aa:bb:cc';
const tok = (c: string) => c.repeat(64);

describe('projections: accounts, agents, rooms, messages', () => {
  let store: SqliteEventStore;
  let p: Projections;

  beforeEach(async () => {
    store = memoryStore();
    p = openProjections({ path: ':memory:', store });
    await p.start();
  });
  afterEach(async () => {
    await p.close();
    await store.close();
  });

  it('projects an account with its sealed hash, found by username in any case', async () => {
    const seq = await put(store, 'account-a1', 'account.registered', { accountId: 'a1', username: 'Alice', name: 'Alice A', role: 'user', passwordHash: HASH });
    await p.waitFor(seq);
    const rm = p.readModel;
    expect(rm.accountById('a1')).toMatchObject({ id: 'a1', username: 'Alice', name: 'Alice A', role: 'user' });
    expect(rm.accountById('a1')?.createdAt).toMatch(/^2026-01-01T/);
    expect(rm.credentialsByUsername('alice')).toEqual({ account: rm.accountById('a1'), passwordHash: HASH });
    expect(rm.credentialsByUsername('bob')).toBeUndefined();
    await p.waitFor(await put(store, 'account-a1', 'account.role_changed', { accountId: 'a1', role: 'operator' }));
    expect(rm.accountById('a1')?.role).toBe('operator');
    expect(rm.listAccounts().map((a) => a.id)).toEqual(['a1']);
  });

  it('tracks refresh tokens: issued, used, family revoked', async () => {
    await put(store, 'account-a1', 'auth.refresh_issued', { accountId: 'a1', familyId: 'f1', tokenHash: tok('a') });
    await put(store, 'account-a1', 'auth.refresh_used', { accountId: 'a1', familyId: 'f1', tokenHash: tok('a') });
    const seq = await put(store, 'account-a1', 'auth.refresh_issued', { accountId: 'a1', familyId: 'f1', tokenHash: tok('b') });
    await p.waitFor(seq);
    expect(p.readModel.refreshToken(tok('a'))).toEqual({ tokenHash: tok('a'), accountId: 'a1', familyId: 'f1', used: true, familyRevoked: false });
    expect(p.readModel.refreshToken(tok('b'))?.used).toBe(false);
    await p.waitFor(await put(store, 'account-a1', 'auth.family_revoked', { accountId: 'a1', familyId: 'f1', reason: 'reuse' }));
    expect(p.readModel.refreshToken(tok('b'))?.familyRevoked).toBe(true);
    expect(p.readModel.refreshToken(tok('c'))).toBeUndefined();
  });

  it('follows an agent through created, started, updated, stopped and deleted', async () => {
    await put(store, 'agent-g1', 'agent.created', { agentId: 'g1', name: 'Eliza', character: character('Eliza') });
    await p.waitFor(await put(store, 'agent-g1', 'agent.started', { agentId: 'g1' }));
    expect(p.readModel.agentById('g1')).toMatchObject({ name: 'Eliza', status: 'running', deleted: false, character: { name: 'Eliza' } });
    expect(p.readModel.agentByName('eliza')?.id).toBe('g1');
    await p.waitFor(await put(store, 'agent-g1', 'agent.updated', { agentId: 'g1', name: 'Eliza2', character: character('Eliza2') }));
    expect(p.readModel.agentById('g1')?.character.name).toBe('Eliza2');
    await p.waitFor(await put(store, 'agent-g1', 'agent.stopped', { agentId: 'g1' }));
    expect(p.readModel.agentById('g1')?.status).toBe('stopped');
    await p.waitFor(await put(store, 'agent-g1', 'agent.deleted', { agentId: 'g1' }));
    expect(p.readModel.agentById('g1')?.deleted).toBe(true);
    expect(p.readModel.agentByName('Eliza2')).toBeUndefined();
    expect(p.readModel.listAgents()).toHaveLength(1);
  });

  it('keeps room membership in join order, idempotent joins, leaves', async () => {
    await put(store, 'room-r1', 'room.created', { roomId: 'r1', name: 'General', createdBy: 'a1' });
    await put(store, 'room-r1', 'room.participant_joined', { roomId: 'r1', participantId: 'a1', kind: 'user', name: 'Alice' });
    await put(store, 'room-r1', 'room.participant_joined', { roomId: 'r1', participantId: 'g1', kind: 'agent', name: 'Eliza' });
    const seq = await put(store, 'room-r1', 'room.participant_joined', { roomId: 'r1', participantId: 'a1', kind: 'user', name: 'Alice' });
    await p.waitFor(seq);
    const rm = p.readModel;
    expect(rm.roomById('r1')).toMatchObject({ id: 'r1', name: 'General', createdBy: 'a1' });
    expect(rm.roomById('r1')?.participants).toEqual([
      { id: 'a1', kind: 'user', name: 'Alice' },
      { id: 'g1', kind: 'agent', name: 'Eliza' },
    ]);
    expect(rm.isMember('r1', 'g1')).toBe(true);
    expect(rm.roomsOf('a1').map((r) => r.id)).toEqual(['r1']);
    await p.waitFor(await put(store, 'room-r1', 'room.participant_left', { roomId: 'r1', participantId: 'a1' }));
    expect(rm.isMember('r1', 'a1')).toBe(false);
    expect(rm.roomsOf('a1')).toEqual([]);
    expect(rm.roomById('nope')).toBeUndefined();
  });

  it('pages messages by seq (latest, before, after) and finds them by client id', async () => {
    const seqs: number[] = [];
    for (let i = 0; i < 10; i++) {
      seqs.push(
        await put(store, 'room-r1', 'message.posted', {
          messageId: `m${i}`,
          roomId: 'r1',
          authorId: 'a1',
          authorKind: 'user',
          text: `message ${i}`,
          ...(i === 3 ? { clientMessageId: 'c-3' } : {}),
          ...(i === 4 ? { inReplyTo: 'm3' } : {}),
        }),
      );
    }
    await put(store, 'room-r2', 'message.posted', { messageId: 'x', roomId: 'r2', authorId: 'a1', authorKind: 'user', text: 'other room' });
    await p.waitFor(await store.head());
    const rm = p.readModel;
    const ids = (ms: { id: string }[]) => ms.map((m) => m.id);
    expect(ids(rm.listMessages('r1', { limit: 3 }))).toEqual(['m7', 'm8', 'm9']);
    expect(ids(rm.listMessages('r1', { beforeSeq: seqs[5], limit: 2 }))).toEqual(['m3', 'm4']);
    expect(ids(rm.listMessages('r1', { afterSeq: seqs[5], limit: 2 }))).toEqual(['m6', 'm7']);
    expect(rm.messageById('m4')).toMatchObject({ seq: seqs[4], roomId: 'r1', inReplyTo: 'm3', authorKind: 'user' });
    expect(rm.messageById('m5')).not.toHaveProperty('inReplyTo');
    expect(rm.messageByClientId('a1', 'c-3')?.id).toBe('m3');
    expect(rm.messageByClientId('a2', 'c-3')).toBeUndefined();
  });

  it('waitFor resolves only once the event is applied (read-your-writes)', async () => {
    const r = await store.append('room-r9', [{ id: 'e1', type: 'room.created', data: { roomId: 'r9', name: 'Nine', createdBy: 'a1' } }]);
    const pending = p.waitFor(r.lastSeq);
    await pending;
    expect(p.readModel.roomById('r9')?.name).toBe('Nine');
    expect(p.readModel.checkpoint()).toBeGreaterThanOrEqual(r.lastSeq);
  });
});

describe('projections: checkpoint and restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chronicle-proj-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('resumes from its checkpoint after reopening, without re-applying', async () => {
    const store = memoryStore();
    const path = join(dir, 'read.db');
    let p = openProjections({ path, store });
    await p.start();
    await p.waitFor(await put(store, 'room-r1', 'room.created', { roomId: 'r1', name: 'One', createdBy: 'a' }));
    await p.close();
    await put(store, 'room-r1', 'room.participant_joined', { roomId: 'r1', participantId: 'u', kind: 'user', name: 'U' });
    await put(store, 'room-r1', 'message.posted', { messageId: 'm1', roomId: 'r1', authorId: 'u', authorKind: 'user', text: 'hi' });
    p = openProjections({ path, store });
    expect(p.readModel.checkpoint()).toBe(1);
    await p.start();
    expect(p.readModel.checkpoint()).toBe(3);
    expect(p.readModel.roomById('r1')?.participants).toHaveLength(1);
    expect(p.readModel.listMessages('r1', { limit: 10 })).toHaveLength(1);
    const v = await p.verifyRebuild();
    expect(v).toEqual({ ok: true, differences: [] });
    await p.close();
    await store.close();
  });
});
