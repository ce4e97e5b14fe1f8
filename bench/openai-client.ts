/**
 * The OpenAI provider's own HTTP client against the official SDK, on the call that matters most for a
 * reply: one streamed chat completion (3 KB system prompt, include_usage) to the instant fake OpenAI
 * server running in its own process (bench/transport-fake-model.ts). Sequential calls, warmed up,
 * rounds interleaved (SDK, provider, SDK, …) so both see the same machine load. CPU is this process's
 * (all threads) per call. Bounded: ROUNDS × 2 × CALLS calls.
 *
 *   npx tsx bench/openai-client.ts        (BENCH_ROUNDS=3 BENCH_CALLS=2000)
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

async function viaSdk(): Promise<string> {
  const stream = await sdk.chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  return text;
}

async function viaProvider(): Promise<string> {
  let text = '';
  for await (const c of provider.streamText({ messages })) if (c.type === 'delta') text += c.text;
  return text;
}

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

for (let i = 0; i < 300; i++) await viaSdk(), await viaProvider(); // warm-up (JIT, sockets)
const rows: string[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  for (const [name, f] of [['openai SDK', viaSdk], ['provider (node:http)', viaProvider]] as const) {
    const m = await measure(f);
    rows.push(`| ${r} | ${name} | ${m.p50.toFixed(3)} | ${m.p95.toFixed(3)} | ${m.cpuUs.toFixed(0)} |`);
  }
}
console.log(`| round | client | p50 ms | p95 ms | CPU µs/call |\n|---|---|---|---|---|\n${rows.join('\n')}`);
await provider.close();
fake.stop();
process.exit(0);
