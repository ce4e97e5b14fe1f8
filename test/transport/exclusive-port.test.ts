import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient } from '../support/http-client.ts';
import { runCli } from '../cli/run-cli.ts';

let t: TestServer;
let dataDir: string;
/** A port nobody listens on right now (uWS shares port 0 binds differently, so the test needs a fixed port). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

beforeAll(async () => {
  t = await startTestServer({ port: await freePort() });
  dataDir = mkdtempSync(join(tmpdir(), 'chronicle-second-'));
});
afterAll(async () => {
  await t?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// Issue 15 finding 10: uWebSockets.js binds with SO_REUSEPORT by default, so a second `chronicle start`
// on a port in use "started" and the kernel split the connections between the two.
it('a second server on a port in use exits non-zero with a clear message, and the first keeps serving', async () => {
  const port = String(t.server.port);
  const env = {
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: port,
    ADMIN_PASSWORD: 'second-admin-password',
    LOG_LEVEL: 'warn',
    MODEL_PROVIDER: 'openai',
    OPENAI_API_KEY: 'x',
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    EMBEDDING_PROVIDER: 'openai',
  };
  // On the old code the second server listens and never exits: the run is cut at 20 s and fails.
  const second = await runCli(['start'], env, undefined, 20_000);
  expect(second.stdout).not.toMatch(/listening on/);
  expect(second.code).not.toBe(0);
  expect(second.code).not.toBeNull();
  expect(second.stderr).toMatch(new RegExp(`${port}.*already in use`));
  expect((await apiClient(t.url).get('/api/v1/health')).status).toBe(200);
}, 30_000);
