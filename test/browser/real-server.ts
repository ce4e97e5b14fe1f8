import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RealServer {
  url: string;
  adminPassword: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the real Chronicle (`chronicle start`, the same entry as `npm start`) on a free port of
 * 127.0.0.1 with a fresh data directory, and waits for the URL it prints.
 */
export async function startRealServer(env: Record<string, string> = {}): Promise<RealServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chronicle-web-e2e-'));
  const adminPassword = 'admin-password-e2e';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bin/main.ts', 'start'], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: 'warn',
      MODEL_PROVIDER: 'local',
      RATE_LIMIT_PER_MIN: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stopping = false;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (b: Buffer) => {
      output += b.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!stopping) console.error(`chronicle server exited unexpectedly (${code ?? signal}):\n${output.slice(-4000)}`);
      reject(new Error(`server exited with ${code ?? signal}:\n${output}`));
    });
  });
  return {
    url,
    adminPassword,
    output: () => output,
    async stop() {
      stopping = true;
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
