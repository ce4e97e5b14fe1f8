import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../src/app/data-dir.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { SqliteEventStore } from '../../src/events/index.ts';
import { loadedModules, packagesOf, sourcesOf, traceEnv } from './fixtures/loaded-modules.ts';
import { runCli } from './run-cli.ts';

// `chronicle --help` and `chronicle verify` load what they use and nothing of the server: seen through
// the module-loader hook that records every module the process resolves (fixtures/trace-imports.mjs).
// What a command must not load is named by module, never by time (the box is shared and noisy).
const dir = mkdtempSync(join(tmpdir(), 'chronicle-lazy-commands-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function traced(name: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; loaded: string[] }> {
  const traceFile = join(dir, `${name}.txt`);
  const r = await runCli(args, traceEnv(traceFile));
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, loaded: loadedModules(traceFile) };
}

const packages = packagesOf;
const ours = sourcesOf;

describe('chronicle --help', () => {
  it('loads the command table and no command, package or esbuild', async () => {
    const { code, stdout, loaded } = await traced('help', ['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: chronicle <command>');
    expect(ours(loaded).sort()).toEqual(['src/cli/command-table.ts', 'src/cli/command.ts', 'src/cli/main.ts']);
    // The stale check of dist/ ran (bin/chronicle.js imports it) without loading esbuild's API.
    expect(loaded).toContain('scripts/build-server.mjs');
    expect([...packages(loaded)]).toEqual([]);
  }, 60_000);
});

describe('chronicle verify', () => {
  it('loads the SQLite log and nothing of the server, the event schemas, pg or esbuild', async () => {
    const dataDir = mkdtempSync(join(dir, 'data-'));
    const store = new SqliteEventStore({ registry: eventRegistry, path: dataPaths(dataDir).events });
    for (let i = 1; i <= 3; i++) {
      await store.append(`room-r${i}`, [{ id: `evt-${i}`, type: 'room.created', data: { roomId: `r${i}`, name: `Room ${i}`, createdBy: 'u1' } }]);
    }
    await store.close();

    const { code, stderr, loaded } = await traced('verify', ['verify', '--data-dir', dataDir]);
    expect(stderr).toContain('ok: 3 events verified');
    expect(code).toBe(0);
    const modules = ours(loaded);
    expect(modules).toContain('src/events/sqlite/sqlite-event-store.ts');
    // (The settings reader uses two small helpers that live in src/transport and src/knowledge.)
    for (const server of ['src/transport/server.ts', 'src/transport/routes/', 'src/actors/', 'src/projections/', 'src/models/', 'src/domain/', 'plugins/']) {
      expect(
        modules.filter((m) => m.startsWith(server)),
        server,
      ).toEqual([]);
    }
    // better-sqlite3 and the four RxJS modules of src/shared/rx.ts, not rxjs's index.
    expect([...packages(loaded)].sort()).toEqual(['better-sqlite3', 'rxjs']);
    expect(loaded.filter((p) => p.endsWith('/rxjs/dist/cjs/index.js'))).toEqual([]);
  }, 60_000);
});

describe('chronicle events export', () => {
  it('copies the stored rows without building the event schemas (zod is not loaded)', async () => {
    const dataDir = mkdtempSync(join(dir, 'data-'));
    const store = new SqliteEventStore({ registry: eventRegistry, path: dataPaths(dataDir).events });
    await store.append('room-r1', [{ id: 'evt-1', type: 'room.created', data: { roomId: 'r1', name: 'Room 1', createdBy: 'u1' } }]);
    await store.close();

    const { code, stdout, loaded } = await traced('export', ['events', 'export', '--data-dir', dataDir]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim())).toMatchObject({ seq: 1, id: 'evt-1', type: 'room.created' });
    expect(ours(loaded).filter((m) => m.startsWith('src/domain/'))).toEqual([]);
    expect(packages(loaded).has('zod')).toBe(false);
  }, 60_000);
});
