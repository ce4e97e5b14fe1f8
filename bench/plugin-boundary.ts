/**
 * Cost of a plugin call across the sandbox boundary (a child process, see src/plugin-host/isolation)
 * vs in process: `npx tsx bench/plugin-boundary.ts [--calls 5000]`
 * (results in bench/RESULTS-plugin-boundary.md).
 *
 * 1. A trivial provider (returns a constant): sequential latency (p50/p99) and throughput, in process
 *    and isolated; then isolated with 16 calls in flight.
 * 2. A provider that calls back into the runtime once (queries.recentMessages) and records an effect:
 *    two extra crossings and a permission check per call.
 * 3. A trivial provider whose state argument carries 10 KB / 100 KB of text (clone cost).
 * 4. Cold start of an isolated plugin (sandbox wrappers + node + module load; the TypeScript fixture
 *    is bundled once per process, so later starts reuse it), mean of 5.
 */
import { fileURLToPath } from 'node:url';
import { startIsolatedPlugin } from '../src/plugin-host/isolation/index.ts';
import { sandboxTools } from '../src/plugin-host/isolation/sandbox.ts';
import type { Memory, Plugin, PluginRuntime, State } from '../src/plugin-host/types.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const CALLS = arg('calls', 5000);
const fixture = (name: string) => fileURLToPath(new URL(`../test/plugin-isolation/fixtures/${name}`, import.meta.url));

const runtime: PluginRuntime = {
  agentId: 'agent-1',
  character: { name: 'Ada', bio: ['bench'], settings: { GREETING: 'Hello' } } as PluginRuntime['character'],
  getSetting: (k) => (k === 'GREETING' ? 'Hello' : undefined),
  useModel: async () => '',
  getService: () => undefined,
  queries: {
    recentMessages: async () => [{ id: 'm0', authorId: 'u', authorKind: 'user', authorName: 'U', text: 'earlier', seq: 1 }],
    knowledge: async () => [],
    facts: async () => [],
  },
  record: () => undefined,
};
const message: Memory = { id: 'msg-1', entityId: 'u', agentId: 'agent-1', roomId: 'room-1', content: { text: 'hello' } };
const state = (chars: number): State => ({ values: {}, data: {}, text: 'x'.repeat(chars) });

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;

async function sequential(label: string, call: () => unknown, n = CALLS) {
  for (let i = 0; i < Math.min(200, n); i++) await call(); // warm-up
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await call();
    times.push(performance.now() - s);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  const row = {
    label,
    calls: n,
    perSecond: Math.round((n / ms) * 1000),
    p50us: us(pct(times, 50)),
    p99us: us(pct(times, 99)),
    mainCpuUsPerCall: Math.round((cpu.user + cpu.system) / n),
  };
  console.log(JSON.stringify(row));
  return row;
}

async function concurrent(label: string, call: () => unknown, inFlight: number, n = CALLS) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < n) await call();
    }),
  );
  const ms = performance.now() - t0;
  const row = { label, calls: n, inFlight, perSecond: Math.round((n / ms) * 1000) };
  console.log(JSON.stringify(row));
  return row;
}

const trivialMod = (await import(fixture('ts-plugin/index.ts'))).default as Plugin;
const goodMod = (await import(fixture('good.mjs'))).default as Plugin;
const grants = () => ['settings:GREETING', 'events:read:message.posted', 'events:append:agent.fact_recorded'];

const trivialIso = await startIsolatedPlugin({ entry: fixture('ts-plugin/index.ts'), kind: 'file' });
const goodIso = await startIsolatedPlugin({
  entry: fixture('good.mjs'),
  kind: 'file',
  grants,
  limits: { maxEffectsPerMinute: 1e9, maxMessagesPerSecond: 1e9 },
});

const s0 = state(0);
await sequential('trivial provider, in process', async () => trivialMod.providers![0]!.get(runtime, message, s0));
await sequential('trivial provider, isolated', () => trivialIso.plugin.providers![0]!.get(runtime, message, s0));
await concurrent('trivial provider, isolated', () => trivialIso.plugin.providers![0]!.get(runtime, message, s0), 16);
await sequential('query + record provider, in process', async () => goodMod.providers![0]!.get(runtime, message, s0));
await sequential('query + record provider, isolated', () => goodIso.plugin.providers![0]!.get(runtime, message, s0));
for (const kb of [10, 100]) {
  const big = state(kb * 1024);
  await sequential(`trivial provider, isolated, ${kb} KB state`, () => trivialIso.plugin.providers![0]!.get(runtime, message, big), Math.min(CALLS, 1000));
}
await trivialIso.stop();
await goodIso.stop();

const tools = await sandboxTools();
const starts: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const p = await startIsolatedPlugin({ entry: fixture('ts-plugin/index.ts'), kind: 'file' });
  starts.push(performance.now() - t0);
  await p.stop();
}
console.log(
  JSON.stringify({
    label: `isolated cold start (${[tools.bwrap ? 'bwrap' : tools.unshare ? 'unshare' : '', tools.prlimit ? 'prlimit' : ''].filter(Boolean).join(' + ') || 'no wrappers'} + node + module)`,
    meanMs: Math.round(starts.reduce((a, b) => a + b, 0) / starts.length),
    minMs: Math.round(Math.min(...starts)),
  }),
);
