import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPluginsAdd } from '../../src/cli/commands/plugins.ts';
import { ADMIN_PASSWORD, startRealServer } from '../plugin-isolation/support/real-server.ts';

/**
 * Issue 14 item 7: `chronicle plugins add NAME` installs an npm plugin with npm into the working
 * directory and records the operator's grant. Installed from a local folder with npm offline: the
 * test never reaches the network.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const PACKAGE = join(import.meta.dirname, '..', 'fixtures', 'eliza-routes-plugin', 'package-greeter');

function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'chronicle.js'), ...args], {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'warn', npm_config_offline: 'true', npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

let server: Awaited<ReturnType<typeof startRealServer>>;
let project: string;
beforeAll(async () => {
  server = await startRealServer();
  project = mkdtempSync(join(tmpdir(), 'chronicle-project-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-agents', version: '1.0.0', private: true }));
}, 60_000);
afterAll(async () => {
  await server?.close();
  rmSync(project, { recursive: true, force: true });
});

describe('chronicle plugins add', () => {
  it('installs the package with npm --save and records the grant for the agent as an event', async () => {
    const r = await cli(
      [
        'plugins',
        'add',
        PACKAGE,
        '--agent',
        'Chronicle',
        '--grant',
        'models:use,events:read:message.posted',
        '--url',
        server.url,
        '--username',
        'admin',
        '--password',
        ADMIN_PASSWORD,
      ],
      project,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      installed: { name: 'chronicle-fixture-plugin-greeter', version: expect.stringMatching(/^file:/) },
      granted: { agent: 'Chronicle', permissions: ['models:use', 'events:read:message.posted'] },
    });
    expect(r.stderr).toMatch(/next: add "chronicle-fixture-plugin-greeter" to the character's plugins/);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).dependencies).toHaveProperty('chronicle-fixture-plugin-greeter');
    expect(existsSync(join(project, 'node_modules', 'chronicle-fixture-plugin-greeter', 'index.js'))).toBe(true);

    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const token = ((await login.json()) as { accessToken: string }).accessToken;
    const events = (await (
      await fetch(`${server.url}/api/v1/events?type=plugin.permissions_granted`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { events: { data: { plugin: string; permissions: string[] } }[] };
    expect(events.events.map((e) => [e.data.plugin, e.data.permissions])).toEqual([
      ['chronicle-fixture-plugin-greeter', ['models:use', 'events:read:message.posted']],
    ]);
  }, 90_000);

  it('refuses a malformed grant, or a grant without an agent, before installing anything', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'chronicle-empty-'));
    writeFileSync(join(empty, 'package.json'), '{"name":"x","version":"1.0.0"}');
    await expect(runPluginsAdd([PACKAGE], { agent: 'Chronicle', grant: 'everything' }, empty)).rejects.toThrow(/"everything" is not a permission/);
    await expect(runPluginsAdd([PACKAGE], { grant: 'models:use' }, empty)).rejects.toThrow(/--grant needs --agent/);
    expect(existsSync(join(empty, 'node_modules'))).toBe(false);
    rmSync(empty, { recursive: true, force: true });
  });
});
