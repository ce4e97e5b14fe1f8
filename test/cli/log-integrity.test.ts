import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/events/index.ts';
import { rewriteText } from '../events/support/row-sql.ts';
import { dataPaths } from '../../src/app/data-dir.ts';
import { BrokenLogError, checkLogAtOpen } from '../../src/app/log-check.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runCli, startServer } from './run-cli.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'chronicle-integrity-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A log of `n` small valid events (rooms), written the way any writer would. */
async function writeLog(dataDir: string, n: number, firstRoom = 1): Promise<void> {
  const store = new SqliteEventStore({ registry: eventRegistry, path: dataPaths(dataDir).events });
  for (let i = firstRoom; i < firstRoom + n; i++) {
    await store.append(`room-r${i}`, [{ id: `evt-${i}`, type: 'room.created', data: { roomId: `r${i}`, name: `Room ${i}`, createdBy: 'u1' } }]);
  }
  await store.close();
}

/** Edits the log behind its back (as in test/events/tamper.test.ts): the append-only triggers dropped first. */
function tamper(dataDir: string, edit: string | ((db: Database.Database) => void)): void {
  const db = new Database(dataPaths(dataDir).events);
  db.exec('DROP TRIGGER IF EXISTS events_are_append_only_update; DROP TRIGGER IF EXISTS events_are_append_only_delete;');
  typeof edit === 'string' ? db.exec(edit) : edit(db);
  db.close();
}

async function checkOnce(dataDir: string, allowBroken = false) {
  const store = new SqliteEventStore({ registry: eventRegistry, path: dataPaths(dataDir).events });
  try {
    return await checkLogAtOpen(store, dataPaths(dataDir), { allowBroken, logger: silentLogger });
  } finally {
    await store.close();
  }
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('chronicle start refuses a tampered log', () => {
  it('exits non-zero naming the first bad seq and `chronicle verify`; --allow-broken-log serves it anyway', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 6);
    tamper(dataDir, (db) => rewriteText(db, 3, 'data', () => '{"roomId":"r3","name":"Forged","createdBy":"u1"}'));

    const refused = await runCli(['start'], { DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-1', PORT: '0' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/broken at seq 3 \(hash_mismatch\)/);
    expect(refused.stderr).toContain('chronicle verify');
    expect(refused.stdout).not.toMatch(/listening on/);

    const allowed = await startServer({ DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-1', ALLOW_BROKEN_LOG: 'true' });
    try {
      expect(allowed.output().stderr + allowed.output().stdout).toMatch(/SERVING A BROKEN EVENT LOG/);
      expect((await fetch(`${allowed.url}/api/v1/health`)).status).toBe(200);
    } finally {
      await allowed.stop();
    }
  }, 120_000);

  it('a fresh start creates DATA_DIR 0700 and every data file 0600', async () => {
    const dataDir = join(tempDir(), 'data');
    const server = await startServer({ DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-1' });
    try {
      const p = dataPaths(dataDir);
      expect(mode(dataDir)).toBe(0o700);
      const files = [
        p.events,
        `${p.events}-wal`,
        `${p.events}-shm`,
        p.read,
        `${p.read}-wal`,
        `${p.read}-shm`,
        `${p.events}-writer.lock`,
        p.jwtSecret,
        p.dataKey,
      ];
      for (const f of files) expect(existsSync(f), f).toBe(true);
      expect(Object.fromEntries(files.map((f) => [f, mode(f).toString(8)]))).toEqual(Object.fromEntries(files.map((f) => [f, '600'])));
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('the start check covers the tail since the last verified start', () => {
  it('a first check walks the whole log and records the head; a tampered tail event is found later', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 5);
    expect(await checkOnce(dataDir)).toEqual({ checked: 5 });
    const mark = JSON.parse(readFileSync(dataPaths(dataDir).verifiedHead, 'utf8'));
    expect(mark.seq).toBe(5);
    expect(await checkOnce(dataDir)).toEqual({ checked: 0 }); // nothing new: nothing re-hashed

    await writeLog(dataDir, 4, 6); // seq 6..9, appended by another writer
    tamper(dataDir, (db) => rewriteText(db, 8, 'meta', (meta) => JSON.stringify({ ...JSON.parse(meta), timestamp: 1 })));
    await expect(checkOnce(dataDir)).rejects.toThrow(/broken at seq 8 \(hash_mismatch\)/);
    // Allowed: served, but the verified position stays, so the next start says it again.
    await checkOnce(dataDir, true);
    await expect(checkOnce(dataDir)).rejects.toBeInstanceOf(BrokenLogError);
  });

  it('a log shorter than the verified position (tail deleted) is refused', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 5);
    await checkOnce(dataDir);
    tamper(dataDir, 'DELETE FROM events WHERE seq >= 4');
    await expect(checkOnce(dataDir)).rejects.toThrow(/broken at seq 4 .*events were removed/);
  });

  it('a swapped log (the verified event changed) is refused', async () => {
    const dataDir = tempDir();
    await writeLog(dataDir, 3);
    await checkOnce(dataDir);
    tamper(dataDir, `UPDATE events SET hash = '${'b'.repeat(64)}' WHERE seq = 3`);
    await expect(checkOnce(dataDir)).rejects.toThrow(/broken at seq 3/);
  });
});
