/**
 * What one OpenAI call costs through each client, on the call that matters most for a reply: one
 * streamed chat completion (3 KB system prompt, include_usage) to the instant fake OpenAI server
 * running in its own process (bench/transport-fake-model.ts). Clients: the bare official SDK, the
 * provider (plugins/openai, on the SDK since issue 16) and, when BENCH_OLD_PROVIDER names the
 * plugins/openai/index.ts of an older checkout, that provider (the hand-written node:http client).
 * Sequential calls, warmed up, rounds interleaved so all see the same machine load. CPU is this
 * process's (all threads) per call. Bounded: ROUNDS × clients × CALLS calls.
 *
 *   npx tsx bench/openai-client.ts        (BENCH_ROUNDS=3 BENCH_CALLS=2000 BENCH_OLD_PROVIDER=…)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { OpenAIProvider } from '../plugins/openai/index.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);

const fake = await new Promise<{ url: string; stop(): void }>((resolve, reject) => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'transport-fake-model.ts')], { stdio: ['pipe', 'pipe', 'ignore'] });
  const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('fake model server did not start'))), 30_000);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('URL ')) return;
    clearTimeout(timer);
    resolve({ url: line.slice(4), stop: () => child.stdin!.end() });
  });
});

const messages = [
  { role: 'system' as const, content: 'You are a helpful agent. '.repeat(120) },
  { role: 'user' as const, content: 'hello there, how are you today?' },
];
const sdk = new OpenAI({ baseURL: fake.url, apiKey: 'k', maxRetries: 0 });
const provider = new OpenAIProvider({ baseURL: fake.url, apiKey: 'k', model: 'gpt-4o' });
type Streaming = Pick<OpenAIProvider, 'streamText' | 'close'>;
const old: Streaming | undefined = process.env.BENCH_OLD_PROVIDER
  ? new ((await import(process.env.BENCH_OLD_PROVIDER)) as { OpenAIProvider: new (o: object) => Streaming }).OpenAIProvider({
      baseURL: fake.url,
      apiKey: 'k',
      model: 'gpt-4o',
    })
  : undefined;

async function viaSdk(): Promise<string> {
  const stream = await sdk.chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  return text;
}

async function via(p: Streaming): Promise<string> {
  let text = '';
  for await (const c of p.streamText({ messages })) if (c.type === 'delta') text += c.text;
  return text;
}
const viaProvider = () => via(provider);
const viaOld = () => via(old!);

async function measure(f: () => Promise<string>): Promise<{ p50: number; p95: number; cpuUs: number }> {
  const lat: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    if (!(await f()).startsWith('Echo:')) throw new Error('unexpected answer');
    lat.push(performance.now() - t);
  }
  const c = process.cpuUsage(c0);
  lat.sort((a, b) => a - b);
  return { p50: lat[Math.floor(CALLS / 2)], p95: lat[Math.floor(CALLS * 0.95)], cpuUs: (c.user + c.system) / CALLS };
}

const clients: [string, () => Promise<string>][] = [
  ['openai SDK, bare', viaSdk],
  ['provider on the SDK', viaProvider],
  ...(old ? [['old provider (node:http wire client)', viaOld] as [string, () => Promise<string>]] : []),
];
for (let i = 0; i < 300; i++) for (const [, f] of clients) await f(); // warm-up (JIT, sockets)
const rows: string[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  for (const [name, f] of clients) {
    const m = await measure(f);
    rows.push(`| ${r} | ${name} | ${m.p50.toFixed(3)} | ${m.p95.toFixed(3)} | ${m.cpuUs.toFixed(0)} |`);
  }
}
console.log(`| round | client | p50 ms | p95 ms | CPU µs/call |\n|---|---|---|---|---|\n${rows.join('\n')}`);
await provider.close();
await old?.close();
fake.stop();
process.exit(0);
