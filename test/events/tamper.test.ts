import Database from 'better-sqlite3';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/events/index.ts';
import { roomCreated, started } from './support/events.ts';
import { rewriteText } from './support/row-sql.ts';
import { tempDir } from './support/temp-dir.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

/**
 * An attacker with file access drops the append-only triggers and rewrites history; the hash chain
 * must still point at the first place where the log is not what was written.
 */
const dir = tempDir();
let path: string;
let n = 0;

beforeEach(async () => {
  path = join(dir, `tamper-${++n}.db`);
  const store = new SqliteEventStore({ registry: eventRegistry, path });
  for (let i = 1; i <= 8; i++) await store.append(i % 2 ? 'room-a' : 'room-b', [i === 1 ? roomCreated(`e${i}`) : started(`e${i}`, i)]);
  expect(await store.verify()).toEqual({ ok: true, checked: 8 });
  await store.close();
});

function tamper(edits: (string | ((db: Database.Database) => void))[]): void {
  const db = new Database(path);
  db.exec('DROP TRIGGER events_are_append_only_update; DROP TRIGGER events_are_append_only_delete;');
  for (const edit of edits) typeof edit === 'string' ? db.exec(edit) : edit(db);
  db.close();
}

async function verifyAgain() {
  const store = new SqliteEventStore({ registry: eventRegistry, path });
  try {
    return await store.verify();
  } finally {
    await store.close();
  }
}

describe('hash chain against tampering', () => {
  it('an edited payload is reported at its seq as a hash mismatch', async () => {
    tamper([(db) => rewriteText(db, 5, 'data', () => '{"agentId":"agent-99"}')]);
    expect(await verifyAgain()).toMatchObject({ ok: false, checked: 4, problem: { seq: 5, kind: 'hash_mismatch' } });
  });

  it('edited meta (e.g. a back-dated timestamp) is reported too', async () => {
    tamper([(db) => rewriteText(db, 3, 'meta', (meta) => JSON.stringify({ ...JSON.parse(meta), timestamp: 1 }))]);
    expect(await verifyAgain()).toMatchObject({ ok: false, problem: { seq: 3, kind: 'hash_mismatch' } });
  });

  it('a deleted row is reported as a seq gap where it was', async () => {
    tamper(['DELETE FROM events WHERE seq = 4']);
    expect(await verifyAgain()).toMatchObject({ ok: false, checked: 3, problem: { seq: 5, kind: 'seq_gap' } });
  });

  it('truncating the tail is NOT detectable by the chain alone (documented limit: compare heads/exports)', async () => {
    tamper(['DELETE FROM events WHERE seq = 8']);
    expect(await verifyAgain()).toEqual({ ok: true, checked: 7 });
  });

  it('two rows with swapped seqs are reported at the first of them', async () => {
    tamper(['UPDATE events SET seq = -1 WHERE seq = 3', 'UPDATE events SET seq = 3 WHERE seq = 4', 'UPDATE events SET seq = 4 WHERE seq = -1']);
    expect(await verifyAgain()).toMatchObject({ ok: false, checked: 2, problem: { seq: 3, kind: 'hash_mismatch' } });
  });

  it('a row renumbered within its stream is reported as a version gap', async () => {
    tamper(['UPDATE events SET version = 9 WHERE seq = 6']);
    expect(await verifyAgain()).toMatchObject({ ok: false, checked: 5, problem: { seq: 6, kind: 'version_gap' } });
  });

  it('a row whose bytes no longer decode (a token the file does not hold) is reported as undecodable', async () => {
    tamper([(db) => db.prepare('UPDATE events SET data = ? WHERE seq = 4').run(Buffer.from([1, 0x7b, 1, 0x7f, 0x7d]))]);
    expect(await verifyAgain()).toMatchObject({ ok: false, checked: 3, problem: { seq: 4, kind: 'undecodable' } });
  });

  it('an edited hash breaks the next link', async () => {
    tamper([`UPDATE events SET hash = '${'a'.repeat(64)}' WHERE seq = 2`]);
    expect(await verifyAgain()).toMatchObject({ ok: false, checked: 1, problem: { seq: 2, kind: 'hash_mismatch' } });
  });
});
