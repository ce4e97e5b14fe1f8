import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './run-cli.ts';

// SIGTERM while the local embedder is embedding a message (its worker loading USE lite). Before, the
// worker's termination failed that call with a retryable error, the model-call layer retried, the
// retry started a new worker, and the process stayed alive until that worker had loaded the model and
// embedded: 2–7 s after "stopped cleanly". Now a closed embedder refuses at once and is never retried.
const dataDir = mkdtempSync(join(tmpdir(), 'chronicle-sigterm-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

describe('chronicle start with the local embedder', () => {
  it('exits 0 promptly on SIGTERM while a message is being embedded, retrying nothing', async () => {
    const server = await startServer({ DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-1', LOG_LEVEL: 'debug' });
    let exit: Awaited<ReturnType<typeof server.stop>>;
    let ms = 0;
    try {
      const { accessToken: token } = (await (await post(`${server.url}/api/v1/auth/login`, { username: 'admin', password: 'admin-password-1' })).json()) as any;
      const { agents } = (await (await fetch(`${server.url}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } })).json()) as any;
      const { room } = (await (await post(`${server.url}/api/v1/rooms`, { name: 'r', agentIds: [agents[0].id] }, token)).json()) as any;
      expect((await post(`${server.url}/api/v1/messages`, { roomId: room.id, text: 'Hello, who are you?' }, token)).status).toBe(202);
      // The model takes over a second to load, so its first embedding is still under way.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      const signalled = performance.now();
      exit = await server.stop('SIGTERM');
      ms = performance.now() - signalled;
    }
    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain('stopped cleanly');
    const afterStop = exit.stderr.slice(exit.stderr.indexOf('"msg":"stopping"'));
    expect(afterStop).not.toContain('model call retry');
    // Generous for a loaded machine; the old behaviour took 2–7 s here.
    expect(ms).toBeLessThan(3_000);
  }, 90_000);
});
