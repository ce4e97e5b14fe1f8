import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/app/settings.ts';
import { openChronicle } from '../../src/app/chronicle.ts';
import { bootstrap } from '../../src/app/bootstrap.ts';
import { startServer } from '../../src/transport/server.ts';
import { pickAgent, runChat } from '../../src/cli/commands/chat.ts';
import { startFakeOpenAI } from '../support/fake-model-servers.ts';
import { runCli } from '../cli/run-cli.ts';

/** `chronicle chat` against a real server (fake instant OpenAI-compatible model on 127.0.0.1). */
describe('chronicle chat', () => {
  let dir: string;
  let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;
  let chronicle: Awaited<ReturnType<typeof openChronicle>>;
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ reply: (text) => `Echo: ${text}`, chunkDelayMs: 1 });
    dir = mkdtempSync(join(tmpdir(), 'chronicle-chat-'));
    const settings = readSettings({
      MODEL_PROVIDER: 'openai', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'x', EMBEDDING_PROVIDER: 'openai',
      DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_MIN: '0', LOG_LEVEL: 'silent', ADMIN_PASSWORD: 'admin-password-1',
    });
    chronicle = await openChronicle(settings);
    await bootstrap(chronicle);
    server = await startServer(chronicle, { webRoot: false });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await chronicle?.close();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends each line to the agent and prints the streamed replies, then exits when the input ends', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (d) => (printed += d));
    input.end('hello there\nsecond line\n');
    const code = await runChat({ url: server.url, username: 'admin', password: 'admin-password-1', input, output, replyTimeoutMs: 20_000 });
    expect(code).toBe(0);
    const lines = printed.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Chronicle: Echo: .*hello there$/);
    expect(lines[1]).toMatch(/^Chronicle: Echo: .*second line$/);
  }, 40_000);

  it('is a registered command of the chronicle CLI', async () => {
    const r = await runCli(['chat', '--help'], {}, undefined, 30_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: chronicle chat [--agent NAME]');
  }, 40_000);

  it('names the agents when the one asked for does not exist', async () => {
    expect(() => pickAgent([{ id: '1', name: 'Ada', status: 'running' }, { id: '2', name: 'Bob', status: 'running' }], 'Zed')).toThrow('no agent "Zed" (agents: Ada, Bob)');
    expect(() => pickAgent([{ id: '1', name: 'Ada', status: 'running' }, { id: '2', name: 'Bob', status: 'running' }], undefined)).toThrow(/choose one with --agent \(Ada, Bob\)/);
    expect(pickAgent([{ id: '1', name: 'Ada', status: 'running' }], 'ada').id).toBe('1');
  });
});
