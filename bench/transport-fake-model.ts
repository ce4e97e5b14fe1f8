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
process.stdin.on('end', () => void fake.close().finally(() => process.exit(0)));
process.on('SIGTERM', () => void fake.close().finally(() => process.exit(0)));
