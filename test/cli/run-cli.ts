import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'chronicle.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `chronicle <args>` the way a user does (bin/chronicle.js), with a bounded run time. */
export function runCli(args: string[], env: Record<string, string>, input?: string, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`chronicle ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

export interface RunningServer {
  url: string;
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
}

/** Starts `chronicle start` on a free port and resolves once it prints the URL it listens on. */
export function startServer(env: Record<string, string>, timeoutMs = 60_000, args: string[] = [], how: 'bin' | 'npm start' = 'bin'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const [command, argv] = how === 'bin' ? [process.execPath, [bin, 'start', ...args]] : ['npm', ['start', '--silent', '--', ...args]];
    const child = spawn(command, argv, {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<CliResult>((done) => child.on('exit', (code) => done({ code, stdout, stderr })));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          child,
          output: () => ({ stdout, stderr }),
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening\n${stderr}`));
    });
  });
}
