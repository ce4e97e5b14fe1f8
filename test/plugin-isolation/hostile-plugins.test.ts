import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startIsolatedPlugin, type IsolatedPlugin, type PluginFailure } from '../../src/plugin-host/isolation/index.ts';
import { BRIDGED_METHODS } from '../../src/plugin-host/isolation/runtime-bridge.ts';
import { emptyState, fakeRuntime, fixture, message } from './support/runtime.ts';

const started: IsolatedPlugin[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()));
});

async function start(file: string, opts: Omit<Parameters<typeof startIsolatedPlugin>[0], 'entry' | 'kind'> = {}) {
  const failures: PluginFailure[] = [];
  const p = await startIsolatedPlugin({ entry: fixture(file), kind: 'file', onFailure: (f) => failures.push(f), ...opts });
  started.push(p);
  return { p, failures };
}

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((req, res) => res.end(`hello from ${req.url}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('isolated plugins: hostile behaviour is contained and reported', () => {
  it('a plugin that throws on load is refused with its error; nothing keeps running', async () => {
    await expect(startIsolatedPlugin({ entry: fixture('throws-on-load.mjs'), kind: 'file' })).rejects.toThrow('boom at load');
  });

  it('a handler that throws fails that call only; the plugin keeps running', async () => {
    const { p, failures } = await start('throws-in-handler.mjs');
    const { runtime } = fakeRuntime('agent-1');
    await expect(p.plugin.providers![0]!.get(runtime, message('hi'), emptyState)).rejects.toThrow('provider exploded');
    expect(p.status).toBe('running');
    expect(failures).toEqual([]);
  });

  it('an infinite loop is cut at the call time limit: the worker is terminated and the failure reported', async () => {
    const { p, failures } = await start('infinite-loop.mjs', { limits: { callTimeoutMs: 300, maxRestarts: 0 } });
    const { runtime } = fakeRuntime('agent-1');
    await expect(p.plugin.providers![0]!.get(runtime, message('hi'), emptyState)).rejects.toThrow('did not finish within 300 ms');
    expect(p.status).toBe('failed');
    expect(failures).toMatchObject([{ plugin: 'looper', component: 'provider:LOOPER', agentId: 'agent-1', reportedToCaller: true }]);
    // Stopped: its provider now answers empty instead of hanging the agent again.
    expect(await p.plugin.providers![0]!.get(runtime, message('again'), emptyState)).toEqual({});
  });

  it('a plugin that allocates until its heap limit is stopped, reported, and can be restarted', async () => {
    const { p, failures } = await start('heap-hog.mjs', {
      limits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4, callTimeoutMs: 20_000, maxRestarts: 0 },
    });
    const { runtime } = fakeRuntime('agent-1');
    await expect(p.plugin.providers![0]!.get(runtime, message('hi'), emptyState)).rejects.toThrow('exhausted its heap limit (16 MB)');
    expect(p.status).toBe('failed');
    expect(failures[0]).toMatchObject({ plugin: 'heap-hog', error: 'exhausted its heap limit (16 MB)' });
    await p.restart();
    expect(p.status).toBe('running');
    expect(p.restarts).toBe(1);
    expect(p.plugin.providers!.map((x) => x.name)).toEqual(['HOG']);
  });

  it('a secret that was declared but not granted is refused by name; the worker sees no environment and no secrets', async () => {
    const { p } = await start('secret-reader.mjs');
    const { runtime } = fakeRuntime('agent-1', {}, { OPENAI_API_KEY: 'sk-very-secret' });
    await expect(p.plugin.providers![0]!.get(runtime, message('hi'), emptyState)).rejects.toThrow(
      'plugin "secret-reader" needs permission "secrets:OPENAI_API_KEY", which is not granted for agent agent-1',
    );
    // Granted for this agent: the value crosses, and only that one.
    const granted = await start('secret-reader.mjs', { grants: (agentId) => (agentId === 'agent-1' ? ['secrets:OPENAI_API_KEY'] : []) });
    const out = await granted.p.plugin.providers![0]!.get(runtime, message('hi'), emptyState);
    expect(out.text).toContain('key=sk-very-secret');
    expect(out.text).toContain('env={}');
    expect(out.text!.slice(out.text!.indexOf('character='), out.text!.indexOf(' key='))).not.toContain('sk-very-secret');
    // Another agent was not granted it.
    await expect(
      granted.p.plugin.providers![0]!.get(fakeRuntime('agent-2', {}, { OPENAI_API_KEY: 'sk-other' }).runtime, message('hi'), emptyState),
    ).rejects.toThrow('not granted for agent agent-2');
  });

  it('an undeclared setting is refused with a message naming the permission', async () => {
    const { p } = await start('net-reacher.mjs', { grants: () => ['net:localhost'] });
    const { runtime } = fakeRuntime('agent-1', { TARGET: `http://127.0.0.1:${port}/x` });
    await expect(p.plugin.actions![0]!.handler(runtime, message('go'), emptyState, {}, undefined)).rejects.toThrow(
      'needs permission "settings:TARGET", which is not granted',
    );
  });

  it('fetch reaches a granted host and is refused for a host the manifest does not declare; raw sockets reach nothing (network namespace)', async () => {
    const { p } = await start('net-reacher.mjs', { grants: () => ['settings:TARGET', 'net:localhost'] });
    const allowed = fakeRuntime('agent-1', { TARGET: `http://localhost:${port}/ok` }).runtime;
    expect(await p.plugin.actions![0]!.handler(allowed, message('go'), emptyState, {}, undefined)).toMatchObject({ success: true, text: 'hello from /ok' });
    const other = fakeRuntime('agent-1', { TARGET: `http://127.0.0.1:${port}/no` }).runtime;
    await expect(p.plugin.actions![0]!.handler(other, message('go'), emptyState, {}, undefined)).rejects.toThrow(
      'needs permission "net:127.0.0.1", which its manifest does not declare',
    );
    // Even to the granted host: the child's network namespace has nothing listening.
    await expect(p.plugin.actions![1]!.handler(allowed, message('go'), emptyState, {}, undefined)).rejects.toThrow(/ECONNREFUSED/);
    expect(p.status).toBe('running');
  });

  it('a declared host that is not granted is refused', async () => {
    const { p } = await start('net-reacher.mjs', { grants: () => ['settings:TARGET'] });
    const rt = fakeRuntime('agent-1', { TARGET: `http://localhost:${port}/ok` }).runtime;
    await expect(p.plugin.actions![0]!.handler(rt, message('go'), emptyState, {}, undefined)).rejects.toThrow(
      'needs permission "net:localhost", which is not granted for agent agent-1',
    );
  });

  it('a plugin that floods events is stopped after its quota; what it recorded within the quota is kept', async () => {
    const { p, failures } = await start('flooder.mjs', {
      grants: () => ['events:append:agent.fact_recorded'],
      limits: { maxEffectsPerMinute: 50, maxRestarts: 0 },
    });
    const { runtime, effects } = fakeRuntime('agent-1');
    await expect(p.plugin.providers![0]!.get(runtime, message('hi'), emptyState)).rejects.toThrow('flooded events (more than 50 records a minute)');
    expect(p.status).toBe('failed');
    expect(effects).toHaveLength(50);
    expect(failures).toMatchObject([{ plugin: 'flooder', component: 'provider:FLOOD' }]);
  });

  it('a well-behaved plugin works through the proxy: settings, queries, records, action callbacks, all per its grants', async () => {
    const { p } = await start('good.mjs', { grants: () => ['settings:GREETING', 'events:read:message.posted', 'events:append:agent.fact_recorded'] });
    const { runtime, effects } = fakeRuntime('agent-1', { GREETING: 'Hello' });
    const out = await p.plugin.providers![0]!.get(runtime, message('hi'), emptyState);
    expect(out).toEqual({ text: 'GOOD_EXT: Hello (1 recent)', values: { inWorker: 'undefined' } });
    expect(effects).toEqual([{ kind: 'fact', roomId: 'room-1', text: 'good-ext saw a message', sourceMessageIds: ['msg-1'] }]);
    const said: string[] = [];
    const result = await p.plugin.actions![0]!.handler(runtime, message('world'), emptyState, {}, async (c) => void said.push(String(c.text)));
    expect(result).toEqual({ success: true, text: 'greeted' });
    expect(said).toEqual(['Hello, world']);
  });

  it('after a back-off, a later call restarts a failed plugin on its own (up to maxRestarts)', async () => {
    const { p } = await start('moody.mjs', { limits: { callTimeoutMs: 300, maxRestarts: 1, restartDelayMs: 0 } });
    const { runtime } = fakeRuntime('agent-1');
    const get = (text: string) => p.plugin.providers![0]!.get(runtime, message(text), emptyState);
    await expect(get('hang')).rejects.toThrow('did not finish within 300 ms');
    expect(await get('hi')).toEqual({ text: 'fine' });
    expect(p.restarts).toBe(1);
    await expect(get('hang')).rejects.toThrow('did not finish');
    // Out of restarts: it stays stopped and answers neutrally.
    expect(await get('hi')).toEqual({});
    expect(p.status).toBe('failed');
  });

  it('a worker that crashes between calls is reported with no caller to blame', async () => {
    const { p, failures } = await start('moody.mjs', { limits: { maxRestarts: 0 } });
    expect(await p.plugin.actions![0]!.handler(fakeRuntime('agent-1').runtime, message('x'), emptyState, {}, undefined)).toEqual({ success: true });
    for (let i = 0; i < 200 && failures.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(failures).toMatchObject([{ plugin: 'moody', component: 'worker', reportedToCaller: false }]);
    expect(failures[0]!.error).toContain('crashed after returning');
    expect(p.status).toBe('failed');
  });

  it('services start only with services:register; events are delivered only with events:read; model handlers need models:use', async () => {
    const grants: Record<string, string[]> = { 'agent-1': ['services:register', 'events:read:message.posted', 'models:use'], 'agent-2': [] };
    const { p } = await start('service-and-events.mjs', { grants: (agentId) => grants[agentId] ?? [] });
    const svc = p.plugin.services![0]!;
    const instance = await svc.start(fakeRuntime('agent-1').runtime);
    expect(instance.capabilityDescription).toBe('ticker #1');
    await instance.stop();
    await expect(svc.start(fakeRuntime('agent-2').runtime)).rejects.toThrow('needs permission "services:register", which is not granted for agent agent-2');
    const handler = p.plugin.events!.MESSAGE_RECEIVED![0]!;
    await expect(handler({ agentId: 'agent-1', text: 'boom' })).rejects.toThrow('handler saw boom');
    await handler({ agentId: 'agent-2', text: 'boom' }); // not delivered: no events:read grant for agent-2
    expect(await p.plugin.models!.TEXT_SMALL!(fakeRuntime('agent-1').runtime, { prompt: 'hi' })).toBe('small: model says hi');
    await expect(p.plugin.models!.TEXT_SMALL!(fakeRuntime('agent-2').runtime, { prompt: 'hi' })).rejects.toThrow('needs permission "models:use"');
  });

  it('a folder plugin written in TypeScript loads in the worker', async () => {
    const p = await startIsolatedPlugin({ entry: fixture('ts-plugin/index.ts'), kind: 'file' });
    started.push(p);
    expect(await p.plugin.providers![0]!.get(fakeRuntime('a').runtime, message('x'), emptyState)).toEqual({ text: 'hello from a TypeScript plugin' });
  });

  it('runtime methods bridged by name (runtime-bridge.ts) reach the runtime of the call, behind their permission', async () => {
    BRIDGED_METHODS['test.echo'] = { permission: () => 'models:use', call: (rt, args) => `${rt.agentId} echoes ${String(args[0])}` };
    try {
      const { p } = await start('bridge-user.mjs', { grants: (agentId) => (agentId === 'agent-1' ? ['models:use'] : []) });
      expect(await p.plugin.providers![0]!.get(fakeRuntime('agent-1').runtime, message('x'), emptyState)).toEqual({ text: 'agent-1 echoes hi undefined' });
      await expect(p.plugin.providers![0]!.get(fakeRuntime('agent-2').runtime, message('x'), emptyState)).rejects.toThrow(
        'needs permission "models:use", which is not granted for agent agent-2',
      );
    } finally {
      delete BRIDGED_METHODS['test.echo'];
    }
  });
});
