import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openChronicle } from '../../src/app/chronicle.ts';
import { bootstrap } from '../../src/app/bootstrap.ts';
import { readSettings } from '../../src/settings/settings.ts';
import { parseCommandArgs, type Command } from '../../src/cli/command.ts';
import { eventsCommand } from '../../src/cli/commands/events.ts';
import { replayCommand } from '../../src/cli/commands/replay.ts';
import { verifyCommand } from '../../src/cli/commands/verify.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { startServer } from '../../src/transport/server.ts';
import { createTestDatabase, hasPostgres } from '../support/postgres.ts';
import { builtIns } from '../../plugins/built-in.ts';
import { cliDeps } from '../support/cli-deps.ts';
import { tempDirs } from '../events/support/temp-dir.ts';

/**
 * Moving a real log (a server's: accounts, an agent, a turn, embeddings) from SQLite to PostgreSQL
 * and back with `chronicle events export/import`: the chain verifies on each side, the exports are
 * byte-identical, and a server started with DATABASE_URL serves the moved log and extends it.
 */
const tempDir = tempDirs('chronicle-pgmove-');

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

/** Logs in as admin, sends one message to the default agent and waits for its reply and both embeddings. */
async function exchange(url: string, text: string): Promise<void> {
  const token = ((await (await post(`${url}/api/v1/auth/login`, { username: 'admin', password: 'admin-password-1' })).json()) as any).accessToken as string;
  expect(token).toBeTruthy();
  const auth = { headers: { authorization: `Bearer ${token}` } };
  const { agents } = (await (await fetch(`${url}/api/v1/agents`, auth)).json()) as any;
  const { room } = (await (await post(`${url}/api/v1/rooms`, { name: text, agentIds: [agents[0].id] }, token)).json()) as any;
  expect((await post(`${url}/api/v1/messages`, { roomId: room.id, text }, token)).status).toBe(202);
  let messages: any[] = [];
  for (let i = 0; i < 150 && messages.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    messages = ((await (await fetch(`${url}/api/v1/rooms/${room.id}/messages`, auth)).json()) as any).messages;
  }
  expect(messages.map((m) => m.authorKind)).toEqual(['user', 'agent']);
  for (let i = 0; i < 150; i++) {
    const { events } = (await (await fetch(`${url}/api/v1/events?type=message.embedded&stream=room-${room.id}`, auth)).json()) as any;
    if (events.length >= 2) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a CLI command in this process, as `chronicle <argv>` with `env` added to the environment. */
async function cli(command: Command, argv: string[], env: Record<string, string> = {}): Promise<number> {
  const saved = { ...process.env };
  Object.assign(process.env, { LOG_LEVEL: 'silent', DATABASE_URL: '' }, env);
  try {
    return await command.run(parseCommandArgs(command, argv), cliDeps);
  } finally {
    process.env = saved;
  }
}

/** The real composition root and HTTP server, in this process, on `env` (DATABASE_URL selects PostgreSQL). */
async function serve(env: Record<string, string>, text: string): Promise<void> {
  const settings = readSettings({ ADMIN_PASSWORD: 'admin-password-1', PORT: '0', RATE_LIMIT_PER_MIN: '0', LOG_LEVEL: 'silent', ...env });
  const chronicle = await openChronicle(settings, builtIns, { logger: silentLogger });
  try {
    await bootstrap(chronicle);
    const server = await startServer(chronicle, { webRoot: false });
    try {
      await exchange(server.url, text);
    } finally {
      await server.close();
    }
  } finally {
    await chronicle.close();
  }
}

const lineCount = (file: string) => readFileSync(file, 'utf8').trim().split('\n').length;

describe.runIf(hasPostgres())('SQLite → PostgreSQL → SQLite with chronicle events export/import', () => {
  const sqliteDir = tempDir();
  const pgDir = tempDir();
  const backDir = tempDir();
  const files = tempDir();
  const a = join(files, 'from-sqlite.ndjson');
  let DATABASE_URL = '';

  beforeAll(async () => {
    DATABASE_URL = await createTestDatabase('pgmove');
    await serve({ DATA_DIR: sqliteDir }, 'Hello from SQLite');
    for (const dir of [pgDir, backDir]) copyFileSync(join(sqliteDir, 'data.key'), join(dir, 'data.key'));
    expect(await cli(eventsCommand, ['export', '--out', a, '--data-dir', sqliteDir])).toBe(0);
  }, 60_000);

  const pgLog = async <T>(use: (store: PostgresEventStore) => Promise<T>): Promise<T> => {
    const store = await PostgresEventStore.open(DATABASE_URL, { registry: eventRegistry });
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  };

  it('the export imports into PostgreSQL, verifies there, and exports back byte for byte', async () => {
    const b = join(files, 'from-postgres.ndjson');
    const lines = readFileSync(a, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.some((l) => l.includes('"type":"message.embedded"'))).toBe(true);

    expect(await cli(eventsCommand, ['import', '--in', a, '--data-dir', pgDir], { DATABASE_URL })).toBe(0);
    expect(await pgLog((s) => s.verify())).toEqual({ ok: true, checked: lines.length });
    expect(await cli(verifyCommand, ['--data-dir', pgDir], { DATABASE_URL })).toBe(0);
    // A second import into the now non-empty PostgreSQL log is refused.
    await expect(cli(eventsCommand, ['import', '--in', a, '--data-dir', pgDir], { DATABASE_URL })).rejects.toThrow(/not empty/);

    expect(await cli(eventsCommand, ['export', '--out', b, '--data-dir', pgDir], { DATABASE_URL })).toBe(0);
    expect(readFileSync(b)).toEqual(readFileSync(a));
  }, 30_000);

  it('a server with DATABASE_URL serves the moved log (same admin, read models rebuilt locally) and extends it', async () => {
    await serve({ DATA_DIR: pgDir, DATABASE_URL }, 'Hello from PostgreSQL');
    const report = await pgLog((s) => s.verify());
    expect(report.ok).toBe(true);
    expect(report.checked).toBeGreaterThan(lineCount(a));
    // The read models in DATA_DIR were built from the PostgreSQL log, and agree with a fresh rebuild.
    expect(await cli(replayCommand, ['--verify', '--data-dir', pgDir], { DATABASE_URL })).toBe(0);
  }, 60_000);

  it('and back: the PostgreSQL log imports into an empty SQLite directory, verifies, and exports identically', async () => {
    const c = join(files, 'extended-from-postgres.ndjson');
    const d = join(files, 'back-in-sqlite.ndjson');
    expect(await cli(eventsCommand, ['export', '--out', c, '--data-dir', pgDir], { DATABASE_URL })).toBe(0);
    expect(readFileSync(c, 'utf8').startsWith(readFileSync(a, 'utf8'))).toBe(true);
    expect(lineCount(c)).toBeGreaterThan(lineCount(a));
    expect(await cli(eventsCommand, ['import', '--in', c, '--data-dir', backDir])).toBe(0);
    expect(await cli(verifyCommand, ['--data-dir', backDir])).toBe(0);
    expect(await cli(eventsCommand, ['export', '--out', d, '--data-dir', backDir])).toBe(0);
    expect(readFileSync(d)).toEqual(readFileSync(c));
  }, 30_000);
});
