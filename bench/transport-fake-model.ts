/**
 * The instant fake OpenAI-compatible model server of bench/transport.ts, in its own process: a real
 * model server is never inside Chronicle's process, and in-process it took ~3–5 % of the server's CPU
 * per reply (its HTTP parsing, SSE writing and GC), which the benchmark then charged to Chronicle.
 * Prints `URL <url>` once listening; exits when its stdin closes (the parent ended).
 */
import { startFakeOpenAI } from '../test/support/fake-model-servers.ts';

const fake = await startFakeOpenAI();
process.stdout.write(`URL ${fake.url}\n`);
process.stdin.resume();
// Request counts by path on stderr at exit: how many model and embedding calls the run made.
const summary = () => {
  const byPath: Record<string, number> = {};
  for (const r of fake.requests) byPath[r.path] = (byPath[r.path] ?? 0) + 1;
  const c = process.cpuUsage();
  process.stderr.write(`fake model requests: ${JSON.stringify(byPath)}; its CPU: ${((c.user + c.system) / 1e6).toFixed(2)} s\n`);
};
process.stdin.on('end', () => (summary(), void fake.close().finally(() => process.exit(0))));
process.on('SIGTERM', () => void fake.close().finally(() => process.exit(0)));
