/**
 * Start-up benchmark (bounded): `npx tsx bench/start.ts [rounds=15] [other checkout…]`.
 * Times what a user waits for, each case once per round, the cases interleaved (rotated order) so the
 * load of a shared machine falls on all of them alike:
 *   node bare        `node -e 0`: the floor every command pays
 *   --help           `node bin/chronicle.js --help`
 *   verify           `node bin/chronicle.js verify` on a small log (one first start's events)
 *   start            `node bin/chronicle.js start` on that data: spawn → first 200 from /api/v1/health
 *   npm start        `npm start` on the same data, the same way (npm, its prestart, then the server)
 * and reports per case the median wall time and the median CPU time (user + system of the whole
 * process tree: a busy machine stretches wall time, CPU time much less), plus the server's RSS 1 s
 * after healthy. Needs only node, npm and bash (`times` reads the CPU of a command that has exited).
 * Other checkouts named after the rounds (e.g. `git archive main | tar -x -C /tmp/base`, with a
 * node_modules link) run the same cases in the same rounds: an A/B on one noisy machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';

const rounds = Number(process.argv[2] ?? 15);
const root = join(import.meta.dirname, '..');
const roots = [root, ...process.argv.slice(3).map((r) => resolve(r))];
const work = mkdtempSync(join(tmpdir(), 'chronicle-start-bench-'));
const password = 'start-bench-password-1';
const env = { ...process.env, ADMIN_PASSWORD: password, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MIN: '0' };
const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** utime+stime (+ the reaped children's) of a process and its live descendants, in ms. */
function treeCpuMs(pid: number): number {
  const children = new Map<number, number[]>();
  const own = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields after the command: state ppid … utime(12) stime(13) cutime(14) cstime(15), 0-based from state.
      own.set(Number(name), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
      const ppid = Number(f[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {}
  }
  let ticks = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    ticks += own.get(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return ticks * TICK_MS;
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

interface Sample {
  wallMs: number;
  cpuMs: number;
  rssMiB?: number;
}

/** A command that exits: wall time to its exit; CPU from bash's `times` (children's user and system). */
function timeCommand(root: string, command: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('bash', ['-c', `${command} >/dev/null 2>/tmp/.chronicle-start-bench-err || exit 9; times`], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${command} failed: ${readFileSync('/tmp/.chronicle-start-bench-err', 'utf8')}`));
      const [, children] = out.trim().split('\n');
      const [user, system] = children.split(' ').map((t) => {
        const m = /(\d+)m([\d.]+)s/.exec(t)!;
        return (Number(m[1]) * 60 + Number(m[2])) * 1000;
      });
      resolve({ wallMs, cpuMs: user + system });
    });
  });
}

/** A server: spawn → first 200 from /api/v1/health (polled every 5 ms), then RSS 1 s later, then SIGTERM. */
async function timeServer(root: string, command: string, args: string[], dataDir: string, measureRss: boolean): Promise<Sample> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(command, args, { cwd: root, env: { ...env, DATA_DIR: dataDir, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  try {
    for (;;) {
      if (exitedEarly) throw new Error(`${command} ${args.join(' ')} exited before it was healthy`);
      if (performance.now() - t0 > 60_000) throw new Error(`${command} ${args.join(' ')}: not healthy in 60 s`);
      const ok = await fetch(`http://127.0.0.1:${port}/api/v1/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(5);
    }
    const wallMs = performance.now() - t0;
    const cpuMs = treeCpuMs(child.pid!);
    let rss: number | undefined;
    if (measureRss) {
      await sleep(1000);
      rss = rssMiB(child.pid!);
    }
    return { wallMs, cpuMs, rssMiB: rss };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

// A small log: what one first start writes (the admin account, the default agent).
const cases: Record<string, () => Promise<Sample>> = {};
const firstStarts: string[] = [];
for (const [k, root] of roots.entries()) {
  const bin = join(root, 'bin', 'chronicle.js');
  spawnSync(process.execPath, [join(root, 'scripts', 'build-server.mjs')], { stdio: 'inherit' });
  spawnSync(process.execPath, [join(root, 'web', 'build-if-stale.mjs')], { stdio: 'inherit' });
  const seed = join(work, `seed-${k}`);
  const first = await timeServer(root, process.execPath, [bin, 'start'], seed, false);
  firstStarts.push(`${root}: ${first.wallMs.toFixed(0)} ms wall, ${first.cpuMs.toFixed(0)} ms CPU`);
  rmSync(join(seed, 'events.db-writer.lock'), { force: true });
  const dataCopy = (name: string) => {
    const dir = join(work, `${name}-${k}`);
    rmSync(dir, { recursive: true, force: true });
    cpSync(seed, dir, { recursive: true });
    return dir;
  };
  const label = roots.length > 1 ? `${basename(root)}: ` : '';
  if (k === 0) cases['node bare (node -e 0)'] = () => timeCommand(root, `'${process.execPath}' -e 0`);
  Object.assign(cases, {
    [`${label}chronicle --help`]: () => timeCommand(root, `'${process.execPath}' '${bin}' --help`),
    [`${label}chronicle verify (small log)`]: () => timeCommand(root, `'${process.execPath}' '${bin}' verify --data-dir '${seed}'`),
    [`${label}node bin/chronicle.js start → healthy`]: () => timeServer(root, process.execPath, [bin, 'start'], dataCopy('bin'), true),
    [`${label}npm start → healthy`]: () => timeServer(root, 'npm', ['start', '--silent'], dataCopy('npm'), false),
  });
}
const names = Object.keys(cases);
const samples = new Map<string, Sample[]>(names.map((n) => [n, []]));
const loadBefore = loadavg();
try {
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(r + i) % names.length];
      samples.get(name)!.push(await cases[name]());
    }
    process.stderr.write(`round ${r + 1}/${rounds}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const loadAfter = loadavg();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(
  `${new Date().toISOString()} commit ${commit}, ${cpus().length}× ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, npm ${npmVersion}`,
);
console.log(`load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}; ${rounds} rounds`);
console.log(`first start (fresh data dir) → healthy, one run each: ${firstStarts.join('; ')}`);
console.log('');
console.log('| case | median wall ms | median CPU ms | min wall ms | RSS MiB (1 s after healthy) |');
console.log('|---|---|---|---|---|');
for (const name of names) {
  const s = samples.get(name)!;
  const rss = s.filter((x) => x.rssMiB !== undefined).map((x) => x.rssMiB!);
  console.log(
    `| ${name} | ${median(s.map((x) => x.wallMs)).toFixed(0)} | ${median(s.map((x) => x.cpuMs)).toFixed(0)} | ${Math.min(...s.map((x) => x.wallMs)).toFixed(0)} | ${rss.length ? median(rss).toFixed(1) : ''} |`,
  );
}
