import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPluginShape, createPluginHost } from '../../src/plugin-host/host.ts';
import { loadPlugin, loadPlugins, PluginLoadError } from '../../src/plugin-host/loader.ts';
import type { Action, Plugin } from '../../src/plugin-host/types.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'plugins');
const action = (name: string, similes: string[] = []): Action => ({
  name,
  similes,
  description: name,
  validate: () => true,
  handler: () => ({ success: true }),
});

describe('plugin loader', () => {
  it('resolves @elizaos/plugin-bootstrap and "bootstrap" to plugins/bootstrap', async () => {
    const a = await loadPlugin('@elizaos/plugin-bootstrap');
    const b = await loadPlugin('bootstrap');
    expect(a?.name).toBe('bootstrap');
    expect(b).toBe(a);
    expect(a?.actions?.map((x) => x.name)).toEqual(['REPLY', 'IGNORE', 'NONE', 'FOLLOW_ROOM', 'UNFOLLOW_ROOM', 'MUTE_ROOM', 'UNMUTE_ROOM']);
    expect(a?.providers?.map((x) => x.name)).toEqual(['TIME', 'CHARACTER', 'RECENT_MESSAGES', 'KNOWLEDGE', 'FACTS']);
  });

  it('treats plugins whose job the core does (plugin-sql, model providers) as loaded, contributing nothing', async () => {
    expect(await loadPlugin('@elizaos/plugin-sql')).toBeNull();
    expect(await loadPlugin('@elizaos/plugin-knowledge')).toBeNull();
  });

  it('loads a trusted plugin from a plugins/<name> folder', async () => {
    const p = await loadPlugin('echo-provider', FIXTURES);
    expect(p?.name).toBe('echo-provider');
  });

  it('reports an unknown package, an invalid name and a module that is not a plugin — each with a reason', async () => {
    await expect(loadPlugin('@acme/plugin-does-not-exist', FIXTURES)).rejects.toThrow(
      new PluginLoadError(
        '@acme/plugin-does-not-exist',
        'plugin "@acme/plugin-does-not-exist" is not installed (no plugins/@acme/plugin-does-not-exist folder and no npm package of that name)',
      ),
    );
    await expect(loadPlugin('../../etc/passwd', FIXTURES)).rejects.toThrow(/not a valid plugin or npm package name/);
    await expect(loadPlugin('not-a-plugin', FIXTURES)).rejects.toThrow(
      /does not export an ElizaOS plugin: name: must be a non-empty string; actions: must be an array/,
    );
    const { plugins, failures } = await loadPlugins(['echo-provider', 'nope-nope-nope', '@elizaos/plugin-sql'], FIXTURES);
    expect(plugins.map((p) => p.name)).toEqual(['echo-provider']);
    expect(failures.map((f) => f.name)).toEqual(['nope-nope-nope']);
  });

  it('checks component shapes', () => {
    const bad = checkPluginShape({ name: 'x', actions: [{ name: 'A' }], providers: [{ name: 'P' }], services: [{}] });
    expect(bad).toEqual({
      ok: false,
      problems: ['actions[0]: handler must be a function', 'providers[0]: get must be a function', 'services[0]: needs static serviceType and start()'],
    });
  });
});

describe('plugin host', () => {
  it('finds actions exactly, then by simile, then fuzzily; skips a plugin name registered twice', () => {
    const p1: Plugin = { name: 'one', description: '', actions: [action('SEND_MESSAGE', ['DM']), action('REPLY')] };
    const p1again: Plugin = { name: 'one', description: '', actions: [action('SHADOW')] };
    const host = createPluginHost([p1, p1again]);
    expect(host.findAction('reply')?.name).toBe('REPLY');
    expect(host.findAction('dm')?.name).toBe('SEND_MESSAGE');
    expect(host.findAction('send-message')?.name).toBe('SEND_MESSAGE');
    expect(host.findAction('SEND')?.name).toBe('SEND_MESSAGE');
    expect(host.findAction('SHADOW')).toBeUndefined();
    expect(host.findAction('')).toBeUndefined();
    expect(host.pluginOf(host.findAction('REPLY')!)).toBe('one');
  });

  it('orders providers by position and model handlers by priority, then registration order', () => {
    const h = createPluginHost([
      { name: 'a', description: '', priority: 1, models: { TEXT_LARGE: () => 'a' }, providers: [{ name: 'LATE', position: 100, get: () => ({}) }] },
      { name: 'b', description: '', priority: 5, models: { TEXT_LARGE: () => 'b' }, providers: [{ name: 'EARLY', position: -1, get: () => ({}) }] },
      { name: 'c', description: '', priority: 5, models: { TEXT_LARGE: () => 'c', TEXT_SMALL: () => 'c' } },
    ]);
    expect(h.providers().map((p) => p.name)).toEqual(['EARLY', 'LATE']);
    expect(h.modelHandler('TEXT_LARGE')?.plugin).toBe('b');
    expect(h.modelHandler('TEXT_SMALL')?.plugin).toBe('c');
    expect(h.modelHandler('IMAGE')).toBeUndefined();
  });
});
