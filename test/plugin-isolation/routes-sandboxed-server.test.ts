import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../cli/run-cli.ts';
import { startFakeOpenAI } from '../support/fake-model-servers.ts';
import { fixture } from './support/runtime.ts';

/**
 * End to end: an npm plugin (a fixture package found through NODE_PATH) runs sandboxed in a real
 * server, and its ElizaOS routes are served under /api/v1/agents/:id/plugins/:plugin/<path> once the
 * operator grants `routes:register`; before that the route answers 500 naming the permission.
 */
const ADMIN_PASSWORD = 'admin-password-1';
let server: Awaited<ReturnType<typeof startServer>>;
let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;
let dataDir: string;
let admin: string;
let agentId: string;
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
};

beforeAll(async () => {
  // A server process of its own: NODE_PATH is read at start (the fixture package is found through it).
  fake = await startFakeOpenAI({ reply: (text) => `Echo: ${text}`, chunkDelayMs: 1 });
  dataDir = mkdtempSync(join(tmpdir(), 'chronicle-routes-sandboxed-'));
  server = await startServer({
    MODEL_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'x',
    EMBEDDING_PROVIDER: 'openai',
    DATA_DIR: dataDir,
    ADMIN_PASSWORD,
    NODE_PATH: fixture('packages'),
    RATE_LIMIT_PER_MIN: '0',
  });
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  admin = ((await login.json()) as { accessToken: string }).accessToken;
  agentId = (await call('POST', '/api/v1/agents', { name: 'Router', bio: ['serves routes'], plugins: ['chronicle-routes-fixture'] })).json.agent.id;
}, 60_000);
afterAll(async () => {
  await server?.stop('SIGTERM');
  await fake?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('routes of a sandboxed npm plugin, through the server', () => {
  it('are listed, refused by name without routes:register, served from the sandbox with it', async () => {
    const listed = await call('GET', `/api/v1/agents/${agentId}/plugins`);
    expect(listed.json.routes.mounted.map((m: { method: string; path: string }) => `${m.method} ${m.path}`)).toEqual(['GET /hello/:who', 'POST /echo']);
    const base = `/api/v1/agents/${agentId}/plugins/route-fixture`;

    const refused = await call('GET', `${base}/hello/ada`);
    expect(refused.status).toBe(500);
    expect(refused.json.error.message).toContain('needs permission "routes:register", which is not granted');

    expect((await call('POST', `/api/v1/agents/${agentId}/plugin-permissions`, { plugin: 'route-fixture', grant: ['routes:register'] })).status).toBeLessThan(
      300,
    );
    let hello = await call('GET', `${base}/hello/ada?shout=yes`);
    // The grant is followed from the log: allow it a moment to arrive.
    for (let i = 0; i < 20 && hello.status !== 200; i++)
      hello = (await new Promise((r) => setTimeout(r, 100)), await call('GET', `${base}/hello/ada?shout=yes`));
    expect([hello.status, hello.json]).toEqual([200, { agent: 'Router', who: 'ada', shout: true, caller: 'admin' }]);
    // It ran in the sandbox: no server environment there.
    expect(hello.headers.get('x-sandboxed')).toBe('undefined');
    expect(await call('POST', `${base}/echo`, { a: [1, 2] })).toMatchObject({ status: 201, json: { echoed: { a: [1, 2] } } });
  }, 40_000);
});
