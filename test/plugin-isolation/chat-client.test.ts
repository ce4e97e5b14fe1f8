import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickAgent, runChat } from '../../src/cli/commands/chat.ts';
import { ADMIN_PASSWORD, startRealServer } from './support/real-server.ts';
import { runCli } from '../cli/run-cli.ts';

/** `chronicle chat` against a real server (fake instant OpenAI-compatible model on 127.0.0.1). */
describe('chronicle chat', () => {
  let server: Awaited<ReturnType<typeof startRealServer>>;
  beforeAll(async () => {
    server = await startRealServer();
  }, 60_000);
  afterAll(async () => server?.close());

  it('sends each line to the agent and prints the streamed replies, then exits when the input ends', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (d) => (printed += d));
    input.end('hello there\nsecond line\n');
    const code = await runChat({ url: server.url, username: 'admin', password: ADMIN_PASSWORD, input, output, replyTimeoutMs: 20_000 });
    expect(code).toBe(0);
    const lines = printed.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Chronicle: Echo: .*hello there$/);
    expect(lines[1]).toMatch(/^Chronicle: Echo: .*second line$/);
  }, 40_000);

  it('outlives its access token: it presents a refreshed one before the server would close the socket', async () => {
    const shortLived = await startRealServer({ ACCESS_TOKEN_TTL: '2' });
    try {
      const input = new PassThrough();
      const output = new PassThrough();
      let printed = '';
      output.on('data', (d) => (printed += d));
      const run = runChat({ url: shortLived.url, username: 'admin', password: ADMIN_PASSWORD, input, output, replyTimeoutMs: 20_000 });
      await new Promise((r) => setTimeout(r, 3500)); // past the first token's expiry
      input.end('still here?\n');
      expect(await run).toBe(0);
      expect(printed).toMatch(/^Chronicle: Echo: .*still here\?$/m);
    } finally {
      await shortLived.close();
    }
  }, 40_000);

  it('is a registered command of the chronicle CLI', async () => {
    const r = await runCli(['chat', '--help'], {}, undefined, 30_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: chronicle chat [--agent NAME]');
  }, 40_000);

  it('names the agents when the one asked for does not exist', async () => {
    expect(() =>
      pickAgent(
        [
          { id: '1', name: 'Ada', status: 'running' },
          { id: '2', name: 'Bob', status: 'running' },
        ],
        'Zed',
      ),
    ).toThrow('no agent "Zed" (agents: Ada, Bob)');
    expect(() =>
      pickAgent(
        [
          { id: '1', name: 'Ada', status: 'running' },
          { id: '2', name: 'Bob', status: 'running' },
        ],
        undefined,
      ),
    ).toThrow(/choose one with --agent \(Ada, Bob\)/);
    expect(pickAgent([{ id: '1', name: 'Ada', status: 'running' }], 'ada').id).toBe('1');
  });
});
