import { afterEach, describe, expect, it, vi } from 'vitest';
import { configureIsolation } from '../../src/plugin-host/isolation/defaults.ts';
import { sandboxTools } from '../../src/plugin-host/isolation/sandbox.ts';
import { createLogger } from '../../src/shared/logger.ts';

// The sandbox probe (bwrap, unshare, prlimit run for real) is off the start's path: configureIsolation
// returns at once and the "plugin sandbox" line follows a second later; a plugin that needs the answer
// earlier awaits the same probe.
afterEach(() => {
  vi.useRealTimers();
});

describe('configureIsolation', () => {
  it('returns before the probe runs; the "plugin sandbox" line follows a second later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const lines: { msg: string }[] = [];
    const logger = createLogger('info', {}, (line) => {
      lines.push(JSON.parse(line));
      return true;
    });
    configureIsolation({ trusted: [], allowWeak: false, dataDir: '/tmp/chronicle-probe-test' }, logger);
    expect(lines).toEqual([]);
    await vi.advanceTimersByTimeAsync(999);
    expect(lines).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    vi.useRealTimers();
    // The probe's three child processes answer on their own time.
    const tools = await sandboxTools();
    await vi.waitFor(() => expect(lines.map((l) => l.msg)).toEqual(['plugin sandbox']), { timeout: 10_000 });
    expect(lines[0]).toMatchObject({ network: expect.stringContaining(tools.bwrap ? 'bubblewrap' : tools.unshare ? 'unshare' : 'NOT ENFORCED') });
  });
});
