import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startIsolatedPlugin, type IsolatedPlugin, type IsolatedPluginOptions } from '../../src/plugin-host/isolation/index.ts';
import { sandboxTools } from '../../src/plugin-host/isolation/sandbox.ts';
import { emptyState, fakeRuntime, fixture, message } from './support/runtime.ts';

/**
 * Issue 15 findings 1 and 5: a plugin with no grants tries each escape of the red-team pass. Every
 * one is refused or contained, the server (this test process) is unaffected, and the plugin still
 * answers afterwards. Run on both ways this host can build the sandbox: bubblewrap (mount, network
 * and pid namespaces) and plain `unshare` (network and pid namespaces; files guarded only by Node's
 * permission model), so each layer is proven on its own.
 */

const host = await sandboxTools();
let dataDir: string;
let server: Server;
let hits = 0;
let url = '';
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'chronicle-escape-data-'));
  writeFileSync(join(dataDir, 'jwt.secret'), 'the-jwt-secret');
  writeFileSync(join(dataDir, 'data.key'), 'the-data-key');
  server = createServer((_req, res) => (hits++, res.end('reached')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin`;
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await new Promise<void>((r) => server.close(() => r()));
});

const started: IsolatedPlugin[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()));
});

async function start(options: Partial<IsolatedPluginOptions> = {}) {
  const p = await startIsolatedPlugin({ entry: fixture('hostile/index.mjs'), kind: 'file', protectedPaths: [dataDir], limits: { maxRestarts: 0 }, ...options });
  started.push(p);
  return p;
}

const sandboxes = [
  { name: 'bubblewrap', tools: {}, available: host.bwrap },
  { name: 'unshare (no mount namespace)', tools: { bwrap: false }, available: host.unshare },
].filter((s) => s.available);

describe.each(sandboxes)('a hostile plugin in the $name sandbox', ({ tools }) => {
  it('cannot read the data key, the JWT secret or the server environment; cannot run commands, start workers, open sockets or signal the server', async () => {
    const p = await start({ tools });
    const { runtime } = fakeRuntime('agent-1');
    const act = (name: string, text = '') => p.plugin.actions!.find((a) => a.name === name)!.handler(runtime, message(text), emptyState, {}, undefined);
    for (const file of [
      join(dataDir, 'jwt.secret'),
      join(dataDir, 'data.key'),
      '/proc/self/environ',
      `/proc/${process.pid}/environ`,
      '/proc/1/environ',
      '/etc/shadow',
    ])
      await expect(act('READ_FILE', file), file).rejects.toThrow(/ERR_ACCESS_DENIED|Access to this API has been restricted|ENOENT/);
    await expect(act('EXEC')).rejects.toThrow(/Access to this API has been restricted|ERR_ACCESS_DENIED/);
    await expect(act('WORKER')).rejects.toThrow(/Access to this API has been restricted|ERR_ACCESS_DENIED/);
    await expect(act('HTTP', url)).rejects.toThrow(/ECONNREFUSED|ENETUNREACH/);
    expect(hits).toBe(0);
    // The server's pid does not exist in the plugin's pid namespace; its parent is the namespace's init.
    await expect(act('KILL', String(process.pid))).rejects.toThrow(/ESRCH|limited to the plugin itself/);
    expect(await act('ENV')).toEqual({ success: true, text: '{}' });
    await expect(act('UNCLONABLE')).rejects.toThrow('the result could not cross to the server');
    // Still running and answering after all of it.
    expect(await act('PING')).toEqual({ success: true, text: 'pong' });
    expect(p.status).toBe('running');
  }, 30_000);
});

describe('a hostile plugin and memory', () => {
  it.skipIf(!host.prlimit)(
    '20 × 100 MB of Buffers are refused by the memory limit; the server does not grow; the plugin still answers',
    async () => {
      const p = await start();
      const { runtime } = fakeRuntime('agent-1');
      const act = (name: string, text = '') => p.plugin.actions!.find((a) => a.name === name)!.handler(runtime, message(text), emptyState, {}, undefined);
      const before = process.memoryUsage().rss;
      await expect(act('BUFFERS')).rejects.toThrow(/Array buffer allocation failed|allocation failed|memory/i);
      expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
      expect(await act('PING')).toEqual({ success: true, text: 'pong' });
    },
    30_000,
  );

  it.skipIf(!host.prlimit)(
    'a 400 MB result cannot even be built inside the memory limit',
    async () => {
      const p = await start();
      const act = (name: string, text = '') =>
        p.plugin.actions!.find((a) => a.name === name)!.handler(fakeRuntime('agent-1').runtime, message(text), emptyState, {}, undefined);
      await expect(act('BIG_RESULT', String(400 * 1024 * 1024))).rejects.toThrow(/allocation failed|Invalid typed array length|memory/i);
      expect(await act('PING')).toEqual({ success: true, text: 'pong' });
    },
    30_000,
  );

  it('a result over the message limit stops the plugin with a clear error, without the server ever holding it', async () => {
    const failures: string[] = [];
    const p = await start({ limits: { maxRestarts: 0, maxMessageBytes: 1024 * 1024 }, onFailure: (f) => failures.push(f.error) });
    const act = (name: string, text = '') =>
      p.plugin.actions!.find((a) => a.name === name)!.handler(fakeRuntime('agent-1').runtime, message(text), emptyState, {}, undefined);
    const before = process.memoryUsage().rss;
    await expect(act('BIG_RESULT', String(40 * 1024 * 1024))).rejects.toThrow(/sent a message of \d+ bytes \(limit 1048576\)/);
    expect(process.memoryUsage().rss - before).toBeLessThan(30 * 1024 * 1024);
    expect(p.status).toBe('failed');
    expect(failures[0]).toMatch(/limit 1048576/);
  }, 30_000);
});

describe('a hostile plugin and CPU', () => {
  it.skipIf(!host.prlimit)(
    'a plugin that spins between calls is killed at its CPU budget and reported',
    async () => {
      const failures: string[] = [];
      const p = await startIsolatedPlugin({
        entry: fixture('cpu-burner.mjs'),
        kind: 'file',
        limits: { maxRestarts: 0, cpuSeconds: 1 },
        onFailure: (f) => failures.push(f.error),
      });
      started.push(p);
      expect(await p.plugin.actions![0]!.handler(fakeRuntime('agent-1').runtime, message('go'), emptyState, {}, undefined)).toEqual({ success: true });
      for (let i = 0; i < 100 && failures.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(failures).toEqual(['used up its CPU time budget (1 s)']);
      expect(p.status).toBe('failed');
    },
    20_000,
  );
});

describe('a host that cannot cut the network', () => {
  it('refuses to start an isolated plugin unless the operator opts into the weaker sandbox', async () => {
    await expect(start({ tools: { bwrap: false, unshare: false } })).rejects.toThrow(
      /cannot cut an isolated plugin off the network.*PLUGIN_SANDBOX_ALLOW_WEAK=true/,
    );
    const weak = await start({ tools: { bwrap: false, unshare: false }, allowWeak: true });
    const act = (name: string, text = '') =>
      weak.plugin.actions!.find((a) => a.name === name)!.handler(fakeRuntime('agent-1').runtime, message(text), emptyState, {}, undefined);
    // Files and processes are still guarded by Node's permission model; signals by the patch.
    await expect(act('READ_FILE', join(dataDir, 'data.key'))).rejects.toThrow(/ERR_ACCESS_DENIED|Access to this API has been restricted/);
    await expect(act('EXEC')).rejects.toThrow(/Access to this API has been restricted|ERR_ACCESS_DENIED/);
    await expect(act('KILL', String(process.pid))).rejects.toThrow('limited to the plugin itself');
  }, 30_000);

  it('refuses a plugin whose readable folders would include the data directory', async () => {
    await expect(start({ protectedPaths: [fixture('hostile')] })).rejects.toThrow(/holds the data directory/);
  });
});
