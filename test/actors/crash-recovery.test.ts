import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import { newId } from '../../src/shared/ids.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

const dir = mkdtempSync(join(tmpdir(), 'chronicle-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CHILD = join(import.meta.dirname, 'support', 'crash-child.ts');

function runChild(db: string, mode: 'slow' | 'fast', killOn?: (line: string) => boolean): Promise<{ lines: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, db, mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: join(import.meta.dirname, '../..'),
    });
    const lines: string[] = [];
    let buf = '';
    let killed = false;
    let stderr = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`child timed out; stdout: ${lines.join('|')} stderr: ${stderr}`))), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (!killed && killOn?.(line)) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (killed && signal === 'SIGKILL') resolve({ lines, killed });
      else if (code === 0) resolve({ lines, killed });
      else reject(new Error(`child exited ${code ?? signal}; stderr: ${stderr}`));
    });
  });
}

async function setup(db: string, messages: number): Promise<string[]> {
  const store = new SqliteEventStore({ registry: eventRegistry, path: db });
  const agentId = newId();
  const roomId = newId();
  await store.append(`agent-${agentId}`, [
    { id: newId(), type: 'agent.created', data: { agentId, name: 'Ada', character: { name: 'Ada', bio: ['test'] } } },
    { id: newId(), type: 'agent.started', data: { agentId } },
  ]);
  await store.append(`room-${roomId}`, [
    { id: newId(), type: 'room.created', data: { roomId, name: 'r', createdBy: 'u' } },
    { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: 'u', kind: 'user', name: 'Alice' } },
    { id: newId(), type: 'room.participant_joined', data: { roomId, participantId: agentId, kind: 'agent', name: 'Ada' } },
  ]);
  const ids: string[] = [];
  for (let i = 0; i < messages; i++) {
    const messageId = newId();
    ids.push(messageId);
    await store.append(`room-${roomId}`, [
      { id: messageId, type: 'message.posted', data: { messageId, roomId, authorId: 'u', authorKind: 'user', text: `question ${i}` } },
    ]);
  }
  await store.close();
  return ids;
}

async function repliesPerMessage(db: string): Promise<Map<string, number>> {
  const store = new SqliteEventStore({ registry: eventRegistry, path: db });
  const counts = new Map<string, number>();
  for (const e of await store.readAll({ limit: 100_000 }))
    if (e.type === 'message.posted' && e.data.authorKind === 'agent') counts.set(e.data.inReplyTo!, (counts.get(e.data.inReplyTo!) ?? 0) + 1);
  expect((await store.verify()).ok).toBe(true);
  await store.close();
  return counts;
}

describe('crash recovery (SIGKILL of a real process)', () => {
  it('killed mid-stream: after restart every message has exactly one reply', { timeout: 60_000 }, async () => {
    const db = join(dir, 'mid-stream.db');
    const ids = await setup(db, 3);
    const first = await runChild(db, 'slow', (l) => l === 'delta');
    expect(first.killed).toBe(true);
    expect(first.lines.filter((l) => l.startsWith('reply'))).toHaveLength(0);
    await runChild(db, 'fast');
    const counts = await repliesPerMessage(db);
    expect(ids.map((id) => counts.get(id))).toEqual([1, 1, 1]);
  });

  it('killed right after the first reply was written: the rest are answered, none twice', { timeout: 60_000 }, async () => {
    const db = join(dir, 'after-reply.db');
    const ids = await setup(db, 3);
    const first = await runChild(db, 'slow', (l) => l.startsWith('reply'));
    expect(first.killed).toBe(true);
    await runChild(db, 'fast');
    // And a third run finds nothing to do.
    const third = await runChild(db, 'fast');
    expect(third.lines.filter((l) => l.startsWith('reply'))).toHaveLength(0);
    const counts = await repliesPerMessage(db);
    expect(ids.map((id) => counts.get(id))).toEqual([1, 1, 1]);
  });
});
