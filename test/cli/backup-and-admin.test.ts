import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChronicle } from '../../src/app/chronicle.ts';
import { bootstrap } from '../../src/app/bootstrap.ts';
import { createAccount, login } from '../../src/app/commands/index.ts';
import { dataPaths } from '../../src/app/data-dir.ts';
import { readSettings } from '../../src/settings/settings.ts';
import { SqliteEventStore } from '../../src/events/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runCli } from './run-cli.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { builtIns } from '../../plugins/built-in.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'chronicle-backup-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const open = (dataDir: string, env: Record<string, string> = {}) =>
  openChronicle(readSettings({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }), builtIns, { actors: false, logger: silentLogger });

/** True when `username` logs in with `password` on the log in `dataDir` (offline, through the login command). */
async function canLogIn(dataDir: string, username: string, password: string, env: Record<string, string> = {}): Promise<boolean> {
  const c = await open(dataDir, env);
  try {
    await login(c, { username, password });
    return true;
  } catch {
    return false;
  } finally {
    await c.close();
  }
}

async function eventCount(dataDir: string): Promise<number> {
  if (!existsSync(dataPaths(dataDir).events)) return 0;
  const store = new SqliteEventStore({ registry: eventRegistry, path: dataPaths(dataDir).events, readonly: true });
  try {
    return await store.head();
  } finally {
    await store.close();
  }
}

let source: string;
let exportFile: string;

beforeAll(async () => {
  source = tempDir();
  const c = await open(source, { ADMIN_PASSWORD: 'admin-password-1' });
  await bootstrap(c);
  await createAccount(c, { username: 'bea', password: 'bea-password-1' });
  await c.close();
  exportFile = join(tempDir(), 'backup.ndjson');
}, 60_000);

describe('backup and restore through the CLI', () => {
  it('export warns that users and secrets need data.key, and says where it is', async () => {
    const r = await runCli(['events', 'export', '--out', exportFile], { DATA_DIR: source });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(dataPaths(source).dataKey);
    expect(r.stderr).toMatch(/without it nobody can log in/);
    expect(readFileSync(exportFile, 'utf8')).toContain('enc:v1:');
  }, 120_000);

  it('import refuses a target without the source key, and one with another key, writing nothing', async () => {
    const bare = tempDir();
    const noKey = await runCli(['events', 'import', '--in', exportFile], { DATA_DIR: bare });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/data\.key/);
    expect(await eventCount(bare)).toBe(0);

    const other = tempDir();
    writeFileSync(dataPaths(other).dataKey, 'f'.repeat(64) + '\n');
    const wrongKey = await runCli(['events', 'import', '--in', exportFile], { DATA_DIR: other });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/cannot be opened with .*data\.key/);
    expect(await eventCount(other)).toBe(0);
  }, 120_000);

  it('with data.key copied along (or DATA_KEY set) the restored log lets its users log in', async () => {
    const copied = tempDir();
    copyFileSync(dataPaths(source).dataKey, dataPaths(copied).dataKey);
    const r = await runCli(['events', 'import', '--in', exportFile], { DATA_DIR: copied });
    expect(r.code, r.stderr).toBe(0);
    expect(await canLogIn(copied, 'bea', 'bea-password-1')).toBe(true);

    const viaEnv = tempDir();
    const key = readFileSync(dataPaths(source).dataKey, 'utf8');
    const e = await runCli(['events', 'import', '--in', exportFile], { DATA_DIR: viaEnv, DATA_KEY: key });
    expect(e.code, e.stderr).toBe(0);
    expect(existsSync(dataPaths(viaEnv).dataKey)).toBe(false);
    expect(await canLogIn(viaEnv, 'admin', 'admin-password-1', { DATA_KEY: key })).toBe(true);
  }, 120_000);

  it('--without-key imports anyway, saying so; such a log is refused at open until the admin password is reset with the key in use', async () => {
    const forced = tempDir();
    const r = await runCli(['events', 'import', '--in', exportFile, '--without-key'], { DATA_DIR: forced });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--without-key/);
    expect(await eventCount(forced)).toBe(await eventCount(source));

    // Opening it with a key that is not the log's is refused (and the key made for the attempt removed) …
    await expect(open(forced)).rejects.toThrow(/does not open the sealed data .*data\.key/);
    expect(existsSync(dataPaths(forced).dataKey)).toBe(false);
    // … until reset-password re-seals the admin's password with the key in use: the way out of a lost key.
    const reset = await runCli(['admin', 'reset-password', 'admin', '--password-stdin'], { DATA_DIR: forced }, 'fresh-password-1\n');
    expect(reset.code, reset.stderr).toBe(0);
    expect(await canLogIn(forced, 'admin', 'fresh-password-1')).toBe(true);
    expect(await canLogIn(forced, 'bea', 'bea-password-1')).toBe(false); // sealed under the lost key
  }, 120_000);
});

describe('chronicle admin reset-password', () => {
  it('prints a new password that works, the old one no longer does', async () => {
    const dir = tempDir();
    const c = await open(dir, { ADMIN_PASSWORD: 'admin-password-1' });
    await bootstrap(c);
    await c.close();
    const r = await runCli(['admin', 'reset-password', '--user', 'admin'], { DATA_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
    const fresh = r.stdout.trim();
    expect(fresh.length).toBeGreaterThanOrEqual(12);
    expect(await canLogIn(dir, 'admin', fresh)).toBe(true);
    expect(await canLogIn(dir, 'admin', 'admin-password-1')).toBe(false);
  }, 120_000);

  it('--password-stdin takes the new password from stdin; a short one is refused', async () => {
    const dir = tempDir();
    const c = await open(dir, { ADMIN_PASSWORD: 'admin-password-1' });
    await bootstrap(c);
    await c.close();
    const ok = await runCli(['admin', 'reset-password', 'admin', '--password-stdin'], { DATA_DIR: dir }, 'chosen-password-9\n');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('');
    expect(await canLogIn(dir, 'admin', 'chosen-password-9')).toBe(true);

    const short = await runCli(['admin', 'reset-password', '--user', 'admin', '--password-stdin'], { DATA_DIR: dir }, 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/at least 8 characters/);
    expect(await canLogIn(dir, 'admin', 'chosen-password-9')).toBe(true);
  }, 120_000);
});
