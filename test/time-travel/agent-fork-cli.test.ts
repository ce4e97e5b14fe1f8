import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.ts';

/** `chronicle agent fork` on a stopped server's DATA_DIR: the position's character and knowledge, usage errors. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('chronicle agent fork', () => {
  it('forks an agent as it was at --at, and refuses bad usage without writing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chronicle-fork-cli-'));
    dirs.push(dataDir);
    const env = { DATA_DIR: dataDir, ADMIN_PASSWORD: 'x-password-1' };
    const v1 = join(dataDir, 'v1.json');
    writeFileSync(v1, JSON.stringify({ name: 'Quill', bio: 'first bio', knowledge: ['Quill once wrote manuals about violins.'] }));
    expect((await runCli(['agent', 'create', '--character', v1], env)).code).toBe(0);
    const headOf = () => {
      const db = new Database(join(dataDir, 'events.db'), { readonly: true });
      try {
        return db.prepare('SELECT max(seq) FROM events').pluck().get() as number;
      } finally {
        db.close();
      }
    };
    const at = headOf();

    const forked = await runCli(['agent', 'fork', 'quill', '--at', String(at), '--name', 'Quill2'], env);
    expect(forked.code, forked.stderr).toBe(0);
    const out = JSON.parse(forked.stdout);
    expect(out.agent).toMatchObject({ name: 'Quill2', status: 'stopped' });
    expect(out.copied).toMatchObject({ documents: 1, facts: 0 });

    const before = headOf();
    const usage = await runCli(['agent', 'fork', 'Quill', '--at', '-1', '--name', 'Q3'], env);
    expect(usage.code).not.toBe(0);
    expect(usage.stderr).toMatch(/--at SEQ/);
    const tooFar = await runCli(['agent', 'fork', 'Quill', '--at', String(before + 5), '--name', 'Q3'], env);
    expect(tooFar.code).not.toBe(0);
    expect(tooFar.stderr).toMatch(/beyond the log's head/);
    expect(headOf()).toBe(before);
  }, 60_000);
});
