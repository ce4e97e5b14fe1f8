import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { isWithin } from '../../shared/paths.ts';

/**
 * How a plugin's child process is wrapped on this host. Probed once: each tool is tried for real
 * (a container may ship `bwrap` but forbid namespaces), so the log says what is actually in force.
 *
 *   network  bwrap --unshare-net, else `unshare -n`: the child has only a loopback of its own, so a
 *            raw socket reaches nothing; network goes through the host's fetch proxy (net:<host>).
 *   pids     the same tool's pid namespace: the server's pid (and every other) is invisible, so
 *            `process.kill(process.ppid)` has nothing to hit.
 *   memory   `prlimit --data` (RLIMIT_DATA): counts heap, Buffers and other off-heap memory but not
 *            V8's untouched address-space reservations (RLIMIT_AS would need ~1 GB just to start node).
 *   cpu      `prlimit --cpu` (RLIMIT_CPU): a lifetime budget of CPU seconds (SIGXCPU at the budget,
 *            SIGKILL a second later if the plugin ignores it); per-call deadlines kill the child on a
 *            hung call long before.
 *   fs/env   always: Node's permission model (read-only, only the plugin's folders) and an empty env.
 */
export interface SandboxTools {
  bwrap: boolean;
  unshare: boolean;
  prlimit: boolean;
}

let probed: Promise<SandboxTools> | undefined;

function works(cmd: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => execFile(cmd, args, { timeout: 5_000, env: {} }, (err) => resolve(!err)));
}

/**
 * What this host can enforce (probed once, the three tools side by side; `override` is for tests that
 * simulate a poorer host). Asynchronous, so a start does not wait for the probe's child processes:
 * only an isolated plugin's first start needs the answer.
 */
export async function sandboxTools(override?: Partial<SandboxTools>): Promise<SandboxTools> {
  probed ??= Promise.all([
    works('bwrap', ['--ro-bind', '/', '/', '--unshare-net', '--unshare-pid', '--proc', '/proc', '--dev', '/dev', '--die-with-parent', 'true']),
    works('unshare', ['-n', '-p', '-f', '--mount-proc', '--kill-child', 'true']),
    works('prlimit', ['--data=268435456', 'true']),
  ]).then(([bwrap, unshare, prlimit]) => ({ bwrap, unshare, prlimit }));
  return { ...(await probed), ...override };
}

/** One line per protection, for the start-up log and the README. */
export function describeProtections(tools: SandboxTools): Record<string, string> {
  const ns = tools.bwrap ? 'bubblewrap' : tools.unshare ? 'unshare' : undefined;
  return {
    filesystem: 'Node permission model: read-only, the plugin package and node_modules only; no child processes, workers, addons or writes',
    environment: 'empty',
    network: ns
      ? `none (${ns} network namespace); fetch through the host proxy for granted net:<host>`
      : 'NOT ENFORCED by the OS (no bwrap/unshare): isolated plugins refused unless PLUGIN_SANDBOX_ALLOW_WEAK=true',
    processes: ns ? `own pid namespace (${ns})` : 'process.kill limited to the plugin itself (JavaScript patch only)',
    memory: tools.prlimit
      ? 'RLIMIT_DATA (heap and off-heap) via prlimit, plus the V8 heap limit'
      : 'V8 heap limit only (no prlimit: off-heap Buffers unbounded)',
    cpu: tools.prlimit ? 'per-call deadline, RLIMIT_CPU lifetime budget via prlimit' : 'per-call deadline only',
  };
}

export interface SandboxSpec {
  /** Files and folders the plugin may read (real paths). */
  readPaths: string[];
  /** Folders to hide entirely when bubblewrap is used (the data directory): defence in depth. */
  hiddenPaths: string[];
  /** The child's script and its arguments. */
  script: string;
  args: string[];
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb: number;
  maxMemoryMb: number;
  cpuSeconds: number;
}

/** The command line that starts a sandboxed child on this host. */
export function sandboxCommand(spec: SandboxSpec, tools: SandboxTools): { command: string; args: string[] } {
  const node = [
    process.execPath,
    '--experimental-permission',
    ...spec.readPaths.map((p) => `--allow-fs-read=${p}`),
    `--max-old-space-size=${spec.maxOldGenerationSizeMb}`,
    `--max-semi-space-size=${Math.max(1, Math.floor(spec.maxYoungGenerationSizeMb / 2))}`,
    '--disable-proto=delete',
    '--no-warnings',
    spec.script,
    ...spec.args,
  ];
  let argv = node;
  if (tools.bwrap) {
    // Everything read-only, a fresh /proc (no server environ) and /tmp, the data directory hidden
    // under an empty tmpfs, then the plugin's read paths bound back on top (they may live in /tmp).
    const hide = spec.hiddenPaths.filter((p) => existsSync(p)).flatMap((p) => ['--tmpfs', p]);
    const bindBack = spec.readPaths.filter((p) => existsSync(p)).flatMap((p) => ['--ro-bind', p, p]);
    argv = [
      'bwrap',
      '--ro-bind',
      '/',
      '/',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--tmpfs',
      '/tmp',
      ...hide,
      ...bindBack,
      '--unshare-net',
      '--unshare-pid',
      '--unshare-ipc',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
      '--chdir',
      '/',
      '--',
      ...node,
    ];
  } else if (tools.unshare) {
    argv = ['unshare', '-n', '-p', '-f', '--mount-proc', '--kill-child', '--', ...node];
  }
  if (tools.prlimit) argv = ['prlimit', `--data=${spec.maxMemoryMb * 1024 * 1024}`, `--cpu=${spec.cpuSeconds}:${spec.cpuSeconds + 1}`, '--', ...argv];
  return { command: argv[0]!, args: argv.slice(1) };
}

/**
 * What the child must read to load a plugin at `entry` (a file): the folder of the entry (its package)
 * and every `node_modules` folder Node's resolution would walk up through, so its dependencies load.
 * Trade-off: read access to those node_modules trees (other packages' code, never data), nothing else.
 */
export function readPathsFor(entry: string): string[] {
  const real = realpathSync(entry);
  const paths = new Set<string>([packageRoot(real)]);
  for (let dir = dirname(real); ; dir = dirname(dir)) {
    const nm = join(dir, 'node_modules');
    if (existsSync(nm)) paths.add(realpathSync(nm));
    if (dirname(dir) === dir) break;
  }
  return collapse([...paths]);
}

/**
 * The plugin's package folder when the entry is inside node_modules (nearest package.json there), else
 * the entry's own folder: never a checkout's root, which may hold the data directory.
 */
function packageRoot(file: string): string {
  if (!file.split(sep).includes('node_modules')) return dirname(file);
  for (let dir = dirname(file); dir.split(sep).includes('node_modules'); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return dirname(file);
}

/** Drops paths inside other paths (Node's permission tree rejects overlapping prefixes). */
function collapse(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => isWithin(p, q)));
}

export { collapse as collapsePaths };
