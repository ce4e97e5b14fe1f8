/**
 * `npm run cluster`: a local cluster of Chronicle nodes on one PostgreSQL log, for trying it out.
 *
 *   npm run cluster                              3 nodes on a throwaway PostgreSQL (gone at exit)
 *   DATABASE_URL=postgres://… npm run cluster    3 nodes on that database (the log stays)
 *   NODES=2 PORT=4001 CLUSTER_DIR=./c npm run cluster
 *
 * Node i listens on PORT+i-1 (default 3001…) with DATA_DIR=CLUSTER_DIR/n<i> (default ./data-cluster)
 * and NODE_ID=n<i>. Every node gets the same JWT_SECRET and DATA_KEY: from the environment, else
 * generated once into CLUSTER_DIR/cluster.env. Node 1 starts first (it bootstraps the log: the admin
 * account, the default agent); the others join once it listens. Ctrl-C stops them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startThrowawayPostgres } from '../test/support/postgres-server.ts';

const root = resolve(import.meta.dirname, '..');
const count = Number(process.env.NODES ?? 3);
const basePort = Number(process.env.PORT ?? 3001);
const dir = resolve(process.env.CLUSTER_DIR ?? 'data-cluster');
mkdirSync(dir, { recursive: true, mode: 0o700 });

/** JWT_SECRET and DATA_KEY shared by every node: given, or made once and kept beside the nodes. */
function sharedSecrets(): { JWT_SECRET: string; DATA_KEY: string } {
  const file = join(dir, 'cluster.env');
  const saved = existsSync(file)
    ? Object.fromEntries(
        readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split('=', 2) as [string, string]),
      )
    : {};
  const secrets = {
    JWT_SECRET: process.env.JWT_SECRET ?? saved.JWT_SECRET ?? randomBytes(32).toString('hex'),
    DATA_KEY: process.env.DATA_KEY ?? saved.DATA_KEY ?? randomBytes(32).toString('hex'),
  };
  writeFileSync(file, `JWT_SECRET=${secrets.JWT_SECRET}\nDATA_KEY=${secrets.DATA_KEY}\n`, { mode: 0o600 });
  return secrets;
}

function startNode(i: number, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const name = `n${i}`;
  const child = spawn(process.execPath, [join(root, 'bin', 'chronicle.js'), 'start'], {
    cwd: root,
    env: { ...process.env, ...env, NODE_ID: name, PORT: String(basePort + i - 1), DATA_DIR: join(dir, name) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (stream: NodeJS.WriteStream) => (d: Buffer) => stream.write(d.toString().replace(/^(?=.)/gm, `[${name}] `));
  child.stderr!.on('data', prefix(process.stderr));
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      prefix(process.stdout)(d);
      if (/listening on/.test(d.toString())) ok(child);
    });
    child.on('exit', (code) => fail(new Error(`node ${name} exited with ${code} before listening`)));
  });
}

let postgres: { url: string; stop: () => void } | undefined;
let url = process.env.DATABASE_URL;
if (!url) {
  postgres = await startThrowawayPostgres();
  if (!postgres) throw new Error('no DATABASE_URL and no PostgreSQL binaries here (install postgresql-15 or set PG_BIN)');
  url = postgres.url;
  process.stdout.write(`throwaway PostgreSQL at ${url} (removed at exit)\n`);
}
const env = { DATABASE_URL: url, ...sharedSecrets() };
const children: ChildProcess[] = [];
const stopAll = async () => {
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => (c.once('exit', r), c.kill('SIGTERM'))) : undefined)));
  postgres?.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stopAll());
process.on('SIGTERM', () => void stopAll());
try {
  children.push(await startNode(1, env));
  for (const c of await Promise.all(Array.from({ length: count - 1 }, (_, k) => startNode(k + 2, env)))) children.push(c);
  process.stdout.write(
    `${count} nodes up: ${Array.from({ length: count }, (_, k) => `http://127.0.0.1:${basePort + k}`).join(' ')}\n` +
      `status: DATABASE_URL=${url} npx chronicle cluster status\n`,
  );
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  await stopAll();
}
