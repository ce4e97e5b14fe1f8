import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StoredRow } from '../../src/events/verify.ts';
import { rechain, rowsOf } from '../events/support/ndjson-rows.ts';
import { writeRealLog } from '../events/support/real-log.ts';
import { runCli } from './run-cli.ts';
import { rowFormatOf, storedRows } from '../events/support/row-sql.ts';
import { tempDirs } from '../events/support/temp-dir.ts';

/**
 * `chronicle verify --payloads`: the chain check plus, per event, the check an import makes (envelope,
 * payload upcast as reads do, against the catalogue). A log can hold an invalid payload behind an intact
 * chain — someone with the file recomputed the hashes after an edit, or it was imported before imports
 * were checked — and only this finds it.
 */
const tempDir = tempDirs('chronicle-verify-payloads-');

/** Edits one stored row's payload in place and re-chains every row after it, as a hand with the file could. */
function editAndRechain(eventsDb: string, edit: (rows: StoredRow[]) => void): void {
  const db = new Database(eventsDb);
  try {
    const rows = storedRows(db);
    const format = rowFormatOf(db);
    edit(rows);
    const rechained = rowsOf(rechain(rows));
    const triggers = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'").pluck().all() as string[];
    db.exec('DROP TRIGGER events_are_append_only_update; DROP TRIGGER events_are_append_only_delete');
    const update = db.prepare('UPDATE events SET data = ?, hash = ? WHERE seq = ?');
    db.transaction(() => {
      for (const r of rechained) update.run(format.encodeText(r.data), format.encodeHash(r.hash), r.seq);
    })();
    for (const sql of triggers) db.exec(sql);
  } finally {
    db.close();
  }
}

describe('chronicle verify --payloads', () => {
  const source = tempDir();
  beforeAll(() => writeRealLog(source), 60_000);

  it('passes a log written by Chronicle itself', async () => {
    const res = await runCli(['verify', '--payloads', '--json'], { DATA_DIR: source });
    expect(res.stderr).toMatch(/ok: \d+ events verified, every payload valid/);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as { ok: boolean; checked: number; payloads: { checked: number } };
    expect(report.payloads.checked).toBe(report.checked);
  }, 60_000);

  it('finds a payload edited behind a recomputed chain: plain verify passes it, --payloads exits 1 naming seq, type and field', async () => {
    const dir = tempDir();
    cpSync(source, dir, { recursive: true });
    let seq = 0;
    editAndRechain(join(dir, 'events.db'), (rows) => {
      const row = rows.find((r) => r.type === 'message.posted')!;
      const data = JSON.parse(row.data) as { text: unknown };
      data.text = 42;
      row.data = JSON.stringify(data);
      seq = row.seq;
    });

    const plain = await runCli(['verify'], { DATA_DIR: dir });
    expect(plain.code).toBe(0);

    const deep = await runCli(['verify', '--payloads', '--json'], { DATA_DIR: dir });
    expect(deep.code).toBe(1);
    expect(deep.stderr).toContain(`REFUSED at seq ${seq} (invalid_payload)`);
    expect(deep.stderr).toMatch(/message\.posted.*text/);
    const report = JSON.parse(deep.stdout) as { payloads: { checked: number; problem: { seq: number; type: string; field: string } } };
    expect(report.payloads.problem).toMatchObject({ seq, type: 'message.posted', field: 'text' });
    expect(report.payloads.checked).toBe(seq - 1);
  }, 60_000);
});
