import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rechain, rowsOf } from '../events/support/ndjson-rows.ts';
import { writeRealLog } from '../events/support/real-log.ts';
import { runCli } from './run-cli.ts';
import { tempDirs } from '../events/support/temp-dir.ts';

/**
 * `chronicle events import` of a hand-edited export whose hash chain was recomputed (anyone can): the
 * chain verifies, yet the import refuses the payload an append would refuse — exit 1, a message
 * naming the line, seq, type and field, nothing written. The source is a real first start's log.
 */
const tempDir = tempDirs('chronicle-import-check-');

describe('chronicle events import checks the payloads of a re-chained export', () => {
  const source = tempDir();
  const exported = join(tempDir(), 'log.ndjson');

  beforeAll(async () => {
    await writeRealLog(source);
    const res = await runCli(['events', 'export', '--out', exported], { DATA_DIR: source });
    expect(res.code).toBe(0);
  }, 60_000);

  /** An empty data directory holding the source's data.key, as the import wants it. */
  const target = () => {
    const dir = tempDir();
    copyFileSync(join(source, 'data.key'), join(dir, 'data.key'));
    return dir;
  };

  it('the export as written imports and verifies', async () => {
    const dir = target();
    const res = await runCli(['events', 'import', '--in', exported], { DATA_DIR: dir });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/events imported/);
    expect((await runCli(['verify'], { DATA_DIR: dir })).stderr).toMatch(/ok: \d+ events verified/);
  }, 60_000);

  it('a message whose text was edited to a number, the chain recomputed: refused with exit 1, naming line, seq, type and field; nothing written', async () => {
    const rows = rowsOf(readFileSync(exported, 'utf8'));
    const i = rows.findIndex((r) => r.type === 'message.posted' && r.data.includes('Hello, who are you?'));
    expect(i).toBeGreaterThan(0);
    const data = JSON.parse(rows[i].data) as { text: unknown };
    data.text = 42;
    rows[i].data = JSON.stringify(data);
    const edited = join(tempDir(), 'edited.ndjson');
    writeFileSync(edited, rechain(rows));

    const dir = target();
    const res = await runCli(['events', 'import', '--in', edited], { DATA_DIR: dir });
    expect(res.code).toBe(1);
    const { seq, id } = rows[i];
    expect(res.stderr).toContain(
      `chronicle events: line ${i + 1}: seq ${seq}: invalid payload message.posted (id ${id}): text: Invalid input: expected string, received number`,
    );
    expect(res.stderr).not.toMatch(/events imported/);
    // Nothing was imported: either no log file at all or an empty one.
    expect((await runCli(['verify'], { DATA_DIR: dir })).stderr).toMatch(/no event log|ok: 0 events/);
  }, 60_000);

  it('an event type this catalogue does not know, the chain recomputed: refused (invalid event, unknown type)', async () => {
    const rows = rowsOf(readFileSync(exported, 'utf8'));
    const last = rows[rows.length - 1];
    last.type = 'myplugin.note_taken';
    const edited = join(tempDir(), 'unknown-type.ndjson');
    writeFileSync(edited, rechain(rows));
    const res = await runCli(['events', 'import', '--in', edited], { DATA_DIR: target() });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `line ${rows.length}: seq ${last.seq}: invalid event myplugin.note_taken (id ${last.id}): unknown event type "myplugin.note_taken"`,
    );
  }, 60_000);
});
