import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockApiServer, type MockServer } from '../support/mock-api-server.ts';
import { runCli } from './run-cli.ts';

// `chronicle inspect` prints actors by name (issue 18 item 6), against the API's actor graph (the mock of API.md).
let mock: MockServer;
beforeAll(async () => {
  mock = await startMockApiServer({ registerRole: 'operator' });
  const r = await fetch(`${mock.url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'ivy', password: 'ivy-password-1' }),
  });
  expect(r.status).toBe(201);
});
afterAll(async () => mock?.close());

describe('chronicle inspect', () => {
  it('prints each agent by name with its id beside it', async () => {
    const out = await runCli(['inspect', '--url', mock.url, '--username', 'ivy', '--password', 'ivy-password-1'], {});
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^system system \[running\]$/m);
    expect(out.stdout).toMatch(/^ {2}agent Eliza \(agent-[0-9a-f-]+\) \[running\.idle\]$/m);
  }, 30_000);
});
