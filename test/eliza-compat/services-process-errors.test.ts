import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../cli/run-cli.ts';
import { startFakeOpenAI, type FakeServer } from '../support/fake-model-servers.ts';

/**
 * Issue 14 item 4: a plugin that leaves a rejected promise nobody awaits, and throws inside a timer,
 * used to kill the server — and, because the plugin does it again at every start, to crash-loop it.
 * Now both are recorded as plugin.failed (attributed to the plugin), the server keeps serving, the
 * agent answers the next message, and a restart meets the same errors and survives them again.
 */
const PLUGINS = join(import.meta.dirname, '..', 'fixtures', 'eliza-services', 'plugins');
const PASSWORD = 'admin-password-1';

let fake: FakeServer;
let dir: string;
let server: RunningServer | undefined;
beforeAll(async () => {
  fake = await startFakeOpenAI({ reply: (text) => `Echo: ${text}`, chunkDelayMs: 1 });
  dir = mkdtempSync(join(tmpdir(), 'chronicle-stray-'));
});
afterAll(async () => {
  await server?.stop('SIGKILL');
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({
  DATA_DIR: dir,
  HOST: '127.0.0.1',
  MODEL_PROVIDER: 'openai',
  OPENAI_BASE_URL: fake.url,
  OPENAI_API_KEY: 'x',
  EMBEDDING_PROVIDER: 'openai',
  ADMIN_PASSWORD: PASSWORD,
  PLUGINS_DIR: PLUGINS,
  RATE_LIMIT_PER_MIN: '0',
  LOG_LEVEL: 'warn',
  STRAY_ERRORS_DELAY_MS: '30',
});

async function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}
const login = async (url: string) =>
  (
    (await (
      await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: PASSWORD }),
      })
    ).json()) as { accessToken: string }
  ).accessToken;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    const v = await probe();
    if (v !== undefined) return v;
  }
  throw new Error('timed out');
}

async function pluginFailures(url: string, token: string): Promise<{ plugin: string; component: string; error: string; agentId?: string }[]> {
  const { events } = await api(url, token, 'GET', '/api/v1/events?type=plugin.failed&limit=1000');
  return events.map((e: { data: any }) => e.data);
}

async function askAndWait(url: string, token: string, roomId: string, text: string): Promise<string> {
  const { message } = await api(url, token, 'POST', '/api/v1/messages', { roomId, text });
  for (let i = 0; i < 200; i++) {
    const { messages } = await api(url, token, 'GET', `/api/v1/rooms/${roomId}/messages?limit=50`);
    const reply = messages.find((m: { inReplyTo?: string; authorKind: string }) => m.inReplyTo === message.id && m.authorKind === 'agent');
    if (reply) return reply.text;
    await sleep(50);
  }
  throw new Error('no reply');
}

describe('errors nobody catches, from a plugin', () => {
  it('are recorded as plugin.failed, the server keeps serving and the agent answers — before and after a restart', async () => {
    server = await startServer(env());
    let token = await login(server.url);
    const { agent } = await api(server.url, token, 'POST', '/api/v1/agents', { name: 'Careless', bio: ['uses a careless plugin'], plugins: ['stray-errors'] });
    const { room } = await api(server.url, token, 'POST', '/api/v1/rooms', { name: 'r', agentIds: [agent.id] });
    // Init runs when the agent starts; its rejection (30 ms later) and timer throw (60 ms) follow.
    const failures = await until(async () => {
      const f = await pluginFailures(server!.url, token);
      return f.length >= 2 ? f : undefined;
    });
    expect(server.child.exitCode).toBeNull();
    expect(failures.map((f) => [f.plugin, f.agentId, f.component]).sort()).toEqual([
      ['stray-errors', agent.id, 'uncaughtException'],
      ['stray-errors', agent.id, 'unhandledRejection'],
    ]);
    expect(failures.map((f) => f.error).sort()).toEqual([
      'uncaughtException: Error: thrown inside a timer',
      'unhandledRejection: Error: stray rejection nobody awaits',
    ]);
    expect(await askAndWait(server.url, token, room.id, 'still there?')).toMatch(/^Echo: .*still there\?$/);

    // The restart meets the same errors at the agent's start: no crash loop.
    const stopped = await server.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    server = await startServer(env());
    token = await login(server.url);
    await until(async () => ((await pluginFailures(server!.url, token)).length >= 4 ? true : undefined));
    expect(server.child.exitCode).toBeNull();
    expect((await pluginFailures(server.url, token)).length).toBe(4);
    expect(await askAndWait(server.url, token, room.id, 'and now?')).toMatch(/^Echo: .*and now\?$/);
  }, 60_000);
});
