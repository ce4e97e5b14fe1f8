import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveNameClashes } from '../../src/actors/agent-contexts.ts';
import { PLUGINS_DIR, pluginSource } from '../../src/plugin-host/loader.ts';
import type { Plugin } from '../../src/plugin-host/types.ts';
import { characterModelSettings } from '../../src/models/character-models.ts';
import { ADMIN_PASSWORD, startRealServer } from '../plugin-isolation/support/real-server.ts';

/**
 * Issue 14 item 7: which implementation of a plugin runs, and the agent's answer saying so. The
 * installed @elizaos packages are real (devDependencies); the choice is made without loading them.
 */
describe('which plugin runs', () => {
  it("Chronicle's stand-in by default (with a hint when the real package is installed); the package when the operator prefers it", () => {
    const openai = pluginSource('@elizaos/plugin-openai', PLUGINS_DIR, []);
    expect(openai.kind).toBe('stand-in');
    expect(openai.why).toMatch(/set PLUGINS_PREFER_INSTALLED=@elizaos\/plugin-openai to run the installed package instead$/);
    for (const prefer of [['@elizaos/plugin-openai'], ['*']]) {
      const chosen = pluginSource('@elizaos/plugin-openai', PLUGINS_DIR, prefer);
      expect(chosen.kind).toBe('package');
      expect(chosen.dir).toMatch(/node_modules\/@elizaos\/plugin-openai$/);
    }
    // A job the core does (knowledge) is provided by core unless the installed package is preferred.
    expect(pluginSource('@elizaos/plugin-knowledge', PLUGINS_DIR, []).kind).toBe('provided-by-core');
    expect(pluginSource('@elizaos/plugin-knowledge', PLUGINS_DIR, ['@elizaos/plugin-knowledge']).kind).toBe('package');
    // Preferring a package that is not installed keeps the stand-in (nothing to run instead).
    expect(pluginSource('@elizaos/plugin-openrouter', PLUGINS_DIR, ['*']).kind).toBe('provided-by-core');
  });

  it('a name clash keeps the first, except that a preferred installed package replaces the built-in of its name', () => {
    const builtIn = { name: 'bootstrap', description: 'stand-in' } as Plugin;
    const real = { name: 'bootstrap', description: 'the real one' } as Plugin;
    const other = { name: 'bootstrap', description: 'another' } as Plugin;
    const kept = resolveNameClashes([builtIn, real, other, builtIn], (p) => p === real);
    expect(kept.kept).toEqual([real]);
    expect(kept.dropped.map((d) => [d.plugin.description, d.why.split(' (')[0]])).toEqual([
      ['stand-in', 'replaced by the installed package of the same name "bootstrap"'],
      ['another', 'another plugin named "bootstrap" was registered first'],
    ]);
  });

  it('naming a model plugin selects its provider, unless settings.MODEL_PROVIDER says otherwise', () => {
    expect(
      characterModelSettings({ name: 'a', bio: [], plugins: ['@elizaos/plugin-sql', '@elizaos/plugin-anthropic', '@elizaos/plugin-openai'] }).provider,
    ).toBe('anthropic');
    expect(characterModelSettings({ name: 'a', bio: [], plugins: ['@elizaos/plugin-ollama'] }).provider).toBe('ollama');
    expect(characterModelSettings({ name: 'a', bio: [], plugins: ['@elizaos/plugin-openrouter'] }).provider).toBe('openrouter');
    expect(characterModelSettings({ name: 'a', bio: [], plugins: ['@elizaos/plugin-anthropic'], settings: { MODEL_PROVIDER: 'openai' } }).provider).toBe(
      'openai',
    );
    expect(characterModelSettings({ name: 'a', bio: [], plugins: ['@elizaos/plugin-bootstrap'] }).provider).toBeUndefined();
  });
});

describe("the agent's create and update answers", () => {
  let server: Awaited<ReturnType<typeof startRealServer>>;
  let token: string;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  beforeAll(async () => {
    server = await startRealServer({ PLUGINS_DIR: join(import.meta.dirname, '..', 'fixtures', 'eliza-routes-plugin', 'plugins') });
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    token = ((await res.json()) as { accessToken: string }).accessToken;
  }, 60_000);
  afterAll(async () => server?.close());

  it('say, per plugin, what runs — loaded, stand-in, provided by core, not installed, dropped — and failures are plugin.failed events', async () => {
    const created = await call('POST', '/api/v1/agents', {
      name: 'Picky',
      bio: ['names many plugins'],
      plugins: ['notebook', '@elizaos/plugin-sql', '@elizaos/plugin-openai', '@acme/plugin-nowhere', 'notebook-twin'],
    });
    expect(created.status).toBe(201);
    const lines = created.json.plugins.map((p: { name: string; status: string }) => [p.name, p.status]);
    expect(lines).toEqual([
      ['notebook', 'stand-in'],
      ['@elizaos/plugin-sql', 'provided-by-core'],
      ['@elizaos/plugin-openai', 'stand-in'],
      ['@acme/plugin-nowhere', 'not-installed'],
      ['notebook-twin', 'dropped'],
    ]);
    const byName = Object.fromEntries(created.json.plugins.map((p: { name: string; detail: string }) => [p.name, p.detail]));
    expect(byName['@acme/plugin-nowhere']).toMatch(/is not installed/);
    expect(byName['notebook-twin']).toBe('another plugin named "notebook" was registered first (ElizaOS keeps the first of a name)');
    const agentId = created.json.agent.id;
    const events = (await call('GET', `/api/v1/events?type=plugin.failed&stream=agent-${agentId}`)).json.events.map(
      (e: { data: { plugin: string; component: string } }) => [e.data.plugin, e.data.component],
    );
    expect(events).toEqual([
      ['@acme/plugin-nowhere', 'load'],
      ['notebook-twin', 'load'],
    ]);

    const updated = await call('PATCH', `/api/v1/agents/${agentId}`, { plugins: ['notebook'] });
    expect(updated.status).toBe(200);
    expect(updated.json.plugins).toEqual([{ name: 'notebook', status: 'stand-in', detail: expect.stringContaining('a trusted local plugin') }]);
  });
});
