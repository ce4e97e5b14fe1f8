/**
 * vitest globalSetup: one throwaway PostgreSQL server for the whole run, when the binaries exist.
 *
 * Looks for `initdb`/`pg_ctl` in PG_BIN, then Debian's /usr/lib/postgresql/<major>/bin, then PATH.
 * PostgreSQL refuses to run as root, so as root the data directory belongs to the `postgres`
 * user and the server runs under `runuser`. Tests reach it through `inject('postgresUrl')`
 * (test/support/postgres.ts); each suite creates its own database there.
 * CHRONICLE_REQUIRE_POSTGRES=1 (CI sets it) turns "no binaries" into a failure instead of a skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

function findBinDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const major of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) candidates.push(join(debian, major, 'bin'));
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) candidates.push(join(which.stdout.trim(), '..'));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  const server = await startThrowawayPostgres();
  if (!server) {
    if (process.env.CHRONICLE_REQUIRE_POSTGRES === '1') {
      throw new Error('CHRONICLE_REQUIRE_POSTGRES=1 but no PostgreSQL binaries were found (install postgresql-15 or set PG_BIN)');
    }
    project.provide('postgresUrl', '');
    return undefined;
  }
  process.env.CHRONICLE_TEST_POSTGRES_URL = server.url;
  project.provide('postgresUrl', server.url);
  return server.stop;
}

/**
 * A PostgreSQL server in a temporary directory on a free 127.0.0.1 port (fsync off), or undefined when
 * this machine has no binaries. Also what `npm run cluster` runs its nodes on (scripts/cluster.ts).
 */
export async function startThrowawayPostgres(): Promise<{ url: string; stop: () => void } | undefined> {
  const binDir = findBinDir();
  if (!binDir) return undefined;
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'chronicle-pg-'));
  chmodSync(dir, 0o700);
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (bin: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(binDir, bin), ...args]] : [join(binDir, bin), args];
    execFileSync(cmd as string, argv as string[], { stdio: 'pipe' });
  };
  const data = join(dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  // fsync off: a test server's durability does not matter, its speed does.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`;
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    stop: () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
