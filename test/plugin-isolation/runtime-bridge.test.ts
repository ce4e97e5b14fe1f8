import { afterEach, describe, expect, it } from 'vitest';
import { startIsolatedPlugin, type IsolatedPlugin } from '../../src/plugin-host/isolation/index.ts';
import type { PluginRuntime } from '../../src/plugin-host/types.ts';
import { emptyState, fakeRuntime, fixture, message } from './support/runtime.ts';

/**
 * The ElizaOS runtime inside the sandbox (runtime-bridge.ts): each forwarded call is checked at the
 * host — emitEvent needs the append permission of the event it stands for and cannot pass its own
 * "runtime" to other plugins' handlers; logger lines are capped in rate and size and cannot forge
 * their level or plugin; the cache is the plugin's own namespace; other plugins' services are not
 * reachable; sync methods answer from the call's snapshot.
 */
let started: IsolatedPlugin | undefined;
afterEach(async () => {
  await started?.stop();
  started = undefined;
});

/** A host runtime with the ElizaOS methods the probe uses, recording what reaches it. */
function hostRuntime(agentId: string) {
  const emitted: [unknown, Record<string, unknown>][] = [];
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const cache = new Map<string, unknown>();
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  const runtime = {
    ...fakeRuntime(agentId).runtime,
    emitEvent: async (event: unknown, params: Record<string, unknown>) => void emitted.push([event, params]),
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    getConversationLength: () => 7,
    getService: () => ({ secret: 'host object' }),
    setCache: async (k: string, v: unknown) => (cache.set(k, v), true),
    getCache: async (k: string) => cache.get(k),
  } as unknown as PluginRuntime;
  return { runtime, emitted, lines, cache };
}

async function probe(grants: string[], agentId = 'agent-1') {
  started = await startIsolatedPlugin({ entry: fixture('runtime-probe.mjs'), kind: 'file', grants: () => grants });
  const host = hostRuntime(agentId);
  const r = await started.plugin.providers![0]!.get(host.runtime, message('x'), emptyState);
  // Log lines are fire-and-forget: give the last ones a moment to arrive.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { ...host, out: JSON.parse(String(r.text)) };
}

describe('the ElizaOS runtime of a sandboxed plugin', () => {
  it('refuses emitEvent without the append permission of that event, naming it', async () => {
    const { out, emitted } = await probe([]);
    expect(out.emit).toBe('plugin "probe" needs permission "events:append:plugin_event.probe_ping", which is not granted for agent agent-1');
    expect(emitted).toEqual([]);
  });

  it('with the grant, emits data only; logs capped and unforgeable; own cache namespace; no host services; snapshot answers', async () => {
    const { out, emitted, lines, cache } = await probe(['events:append:plugin_event.probe_ping']);
    expect(out.emit).toBe('ok');
    // The plugin's runtime and callback do not reach other plugins' handlers: the host gives each its own.
    expect(emitted).toEqual([['PROBE_PING', { n: 1 }]]);
    const flood = lines.filter((l) => l.msg.startsWith('x'));
    expect(flood.length).toBeGreaterThan(0);
    expect(flood.length).toBeLessThanOrEqual(100);
    for (const l of flood) {
      expect(l.level).toBe('info');
      expect(l.msg.length).toBe(2_000);
      expect(l.fields).toEqual({ fieldsTruncated: expect.any(Number), sandboxed: true });
    }
    expect(lines).toContainEqual({ level: 'warn', msg: 'small line', fields: { n: 1, sandboxed: true } });
    expect(out.service).toBeNull();
    expect(out.conversation).toBe(7);
    expect([out.cacheSet, out.cacheGet]).toEqual([true, 'v']);
    expect([...cache.keys()]).toEqual(['sandboxed:probe:k']);
  });
});

describe('a connector inside the sandbox', () => {
  /** A host runtime with the connector methods of src/actors/connectors.ts, recording what reaches them. */
  function connectorRuntime(agentId: string) {
    const handlers = new Map<string, (rt: unknown, target: unknown, content: unknown) => Promise<unknown>>();
    const received: unknown[] = [];
    const runtime = {
      ...fakeRuntime(agentId).runtime,
      registerSendHandler: (source: string, handler: (rt: unknown, target: unknown, content: unknown) => Promise<unknown>) =>
        void handlers.set(source, handler),
      messageService: {
        handleMessage: async (_rt: unknown, message: { content: { text: string } }, callback?: (c: { text: string }) => Promise<unknown>) => {
          received.push(message);
          await callback?.({ text: `You said: ${message.content.text}` });
          return { didRespond: true };
        },
      },
    } as unknown as PluginRuntime;
    return { runtime, handlers, received };
  }

  it('hands an outside message in and gets the reply through its callback; its send handler is called back in the sandbox', async () => {
    started = await startIsolatedPlugin({
      entry: fixture('connector-probe.mjs'),
      kind: 'file',
      grants: () => ['events:append:message.posted', 'events:read:message.posted'],
    });
    const host = connectorRuntime('agent-1');
    const r = await started.plugin.providers![0]!.get(host.runtime, message('x'), emptyState);
    expect(JSON.parse(String(r.text))).toEqual({ result: { didRespond: true }, replied: 'You said: hi from outside' });
    expect(host.received).toEqual([{ content: { text: 'hi from outside', source: 'probe-chat' } }]);
    expect(await host.handlers.get('probe-chat')!(host.runtime, { source: 'probe-chat', channelId: 'general' }, { text: 'hello' })).toBe(
      'agent-1 sends "hello" to general',
    );
  });

  it('without events:append:message.posted, handleMessage is refused by name', async () => {
    started = await startIsolatedPlugin({ entry: fixture('connector-probe.mjs'), kind: 'file', grants: () => ['events:read:message.posted'] });
    const host = connectorRuntime('agent-1');
    await expect(started.plugin.providers![0]!.get(host.runtime, message('x'), emptyState)).rejects.toThrow(
      'needs permission "events:append:message.posted", which is not granted for agent agent-1',
    );
    expect(host.received).toEqual([]);
  });
});
