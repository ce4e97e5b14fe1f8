import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginsCommand } from '../../src/cli/commands/plugins.ts';
import { runCli } from '../cli/run-cli.ts';
import { ADMIN_PASSWORD, startRealServer } from './support/real-server.ts';
import { cliDeps } from '../support/cli-deps.ts';

/** POST /api/v1/agents/:id/plugin-permissions: operators grant and revoke; each change is an event. */
describe('plugin permission grants over REST', () => {
  let real: Awaited<ReturnType<typeof startRealServer>>;
  let admin: string;
  let agentId: string;
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(real.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as any };
  };
  beforeAll(async () => {
    real = await startRealServer();
    const login = await fetch(`${real.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    admin = ((await login.json()) as { accessToken: string }).accessToken;
    agentId = (await call('GET', '/api/v1/agents', admin)).body.agents[0].id;
  }, 60_000);
  afterAll(async () => real?.close());

  it('records a grant and a revocation with who made them', async () => {
    const r = await call('POST', `/api/v1/agents/${agentId}/plugin-permissions`, admin, {
      plugin: '@acme/plugin-weather',
      grant: ['net:api.weather.test', 'settings:CITY'],
      revoke: ['models:use'],
    });
    expect(r.status).toBe(200);
    expect(r.body.events.map((e: { type: string }) => e.type)).toEqual(['plugin.permissions_granted', 'plugin.permissions_revoked']);
    const log = await call('GET', `/api/v1/events?stream=agent-${agentId}&limit=1000`, admin);
    const grant = log.body.events.find((e: { type: string }) => e.type === 'plugin.permissions_granted');
    expect(grant.data).toMatchObject({ agentId, plugin: '@acme/plugin-weather', permissions: ['net:api.weather.test', 'settings:CITY'] });
    expect(grant.data.grantedBy).toBe(grant.meta.author.id);
  });

  it('refuses malformed permissions, unknown agents and non-operators', async () => {
    const bad = await call('POST', `/api/v1/agents/${agentId}/plugin-permissions`, admin, { plugin: 'x', grant: ['root'] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('grant[0]: \\"root\\" is not a permission');
    expect((await call('POST', `/api/v1/agents/${agentId}/plugin-permissions`, admin, { plugin: 'x' })).status).toBe(400);
    expect(
      (await call('POST', '/api/v1/agents/00000000-0000-4000-8000-000000000000/plugin-permissions', admin, { plugin: 'x', grant: ['models:use'] })).status,
    ).toBe(404);
    const reg = await fetch(`${real.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'plainuser', password: 'plain-password-1' }),
    });
    expect(reg.status).toBe(201);
    const login = await fetch(`${real.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'plainuser', password: 'plain-password-1' }),
    });
    const user = ((await login.json()) as { accessToken: string }).accessToken;
    expect((await call('POST', `/api/v1/agents/${agentId}/plugin-permissions`, user, { plugin: 'x', grant: ['models:use'] })).status).toBe(403);
  });

  it('chronicle plugins grant|revoke appends the same events, by agent name', async () => {
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      const args = { url: real.url, username: 'admin', password: ADMIN_PASSWORD, agent: 'chronicle' };
      expect(await pluginsCommand.run({ values: args, positionals: ['grant', 'hostile', 'settings:*', 'net:api.example.com'] }, cliDeps)).toBe(0);
      expect(await pluginsCommand.run({ values: args, positionals: ['revoke', 'hostile', 'net:api.example.com'] }, cliDeps)).toBe(0);
      await expect(pluginsCommand.run({ values: args, positionals: ['grant', 'hostile', 'root'] }, cliDeps)).rejects.toThrow(/"root" is not a permission/);
      await expect(pluginsCommand.run({ values: args, positionals: ['grant', 'hostile'] }, cliDeps)).rejects.toThrow('name at least one PERMISSION');
    } finally {
      process.stdout.write = write;
    }
    const log = await call('GET', `/api/v1/events?stream=agent-${agentId}&limit=1000`, admin);
    const changes = log.body.events.filter(
      (e: { type: string; data: { plugin: string } }) => e.type.startsWith('plugin.permissions_') && e.data.plugin === 'hostile',
    );
    expect(changes.map((e: { type: string; data: { permissions: string[] } }) => [e.type, e.data.permissions])).toEqual([
      ['plugin.permissions_granted', ['settings:*', 'net:api.example.com']],
      ['plugin.permissions_revoked', ['net:api.example.com']],
    ]);
    expect(JSON.parse(out[0]!).events[0].type).toBe('plugin.permissions_granted');
  });

  it('is a registered command of the chronicle CLI', async () => {
    const r = await runCli(['plugins', '--help'], {}, undefined, 30_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('chronicle plugins grant|revoke --agent NAME|ID PLUGIN PERMISSION...');
    expect(r.stdout).toContain('Usage: chronicle plugins add NAME');
  }, 40_000);
});
