import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isolation, stopIsolatedPlugins } from '../../src/plugin-host/isolation/index.ts';
import { loadPlugin } from '../../src/plugin-host/loader.ts';
import { fixture } from './support/runtime.ts';

/**
 * The loader with a real ElizaOS plugin from npm (@elizaos/plugin-mcp, a devDependency): it runs in a
 * sandboxed child; after a shutdown stopped it, the next load starts it afresh; listed in
 * PLUGINS_TRUSTED it loads in process instead.
 */
const sandboxed = (needle: string) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmd.includes('--experimental-permission') && cmd.includes(needle);
      } catch {
        return false;
      }
    });

afterAll(async () => {
  isolation.trusted = new Set();
  await stopIsolatedPlugins();
});

describe('loading an npm plugin', () => {
  it('runs it sandboxed, starts it afresh after a shutdown, and in process when the operator trusts it', async () => {
    const first = (await loadPlugin('@elizaos/plugin-mcp'))!;
    expect(first.name).toBe('mcp');
    expect(first.actions!.map((a) => a.name)).toEqual(['CALL_MCP_TOOL', 'READ_MCP_RESOURCE']);
    expect(sandboxed('plugin-mcp').length).toBeGreaterThan(0);

    await stopIsolatedPlugins();
    for (let i = 0; i < 40 && sandboxed('plugin-mcp').length; i++) await new Promise((r) => setTimeout(r, 25));
    expect(sandboxed('plugin-mcp')).toEqual([]);
    const again = (await loadPlugin('@elizaos/plugin-mcp'))!;
    expect(again).not.toBe(first);
    expect(sandboxed('plugin-mcp').length).toBeGreaterThan(0);

    // Trusted (a fresh loader key: another plugins folder), it is the package's own object, in process.
    await stopIsolatedPlugins();
    isolation.trusted = new Set(['@elizaos/plugin-mcp']);
    const trusted = (await loadPlugin('@elizaos/plugin-mcp', fixture('.')))!;
    expect(trusted).toBe(((await import('@elizaos/plugin-mcp')) as { default: unknown }).default);
    expect(sandboxed('plugin-mcp')).toEqual([]);
  }, 60_000);
});
