import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadedModules, startTracedServer } from './fixtures/loaded-modules.ts';

// The compiled program is one bundle (scripts/build-server.mjs). Nothing it runs may also load the same
// sources again from dist/'s per-file tree: a second copy of a core module is a second class (an error
// the core would not recognise as its own) and a second cache. The default agent names
// "@elizaos/plugin-bootstrap", whose stand-in lives in plugins/bootstrap: it must come from the bundle.
const dataDir = mkdtempSync(join(tmpdir(), 'chronicle-one-graph-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the compiled program', () => {
  it('loads a shipped plugin a character names from its own bundle, not dist/plugins or dist/src', async () => {
    const { server, traceFile } = await startTracedServer(dataDir);
    try {
      const login = (await (
        await fetch(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
        })
      ).json()) as { accessToken: string };
      const auth = { authorization: `Bearer ${login.accessToken}` };
      const { agents } = (await (await fetch(`${server.url}/api/v1/agents`, { headers: auth })).json()) as { agents: { id: string }[] };
      expect(agents.length).toBe(1);
      const report = (await (await fetch(`${server.url}/api/v1/agents/${agents[0].id}/plugins`, { headers: auth })).json()) as {
        plugins: { name: string; status: string }[];
      };
      expect(report.plugins).toContainEqual(expect.objectContaining({ name: '@elizaos/plugin-bootstrap', status: 'stand-in' }));
    } finally {
      expect((await server.stop('SIGTERM')).code).toBe(0);
    }
    const files = readFileSync(traceFile, 'utf8').split('\n');
    const tree = pathToFileURL(join(root, 'dist')).href;
    expect(files.filter((u) => u.startsWith(`${tree}/src/`) || u.startsWith(`${tree}/plugins/`))).toEqual([]);
    expect(loadedModules(traceFile)).toContain('plugins/bootstrap/index.ts');
  }, 90_000);

  it('attributes an error raised in the bundle to the core (process-errors policy)', async () => {
    // The compiled module, as the program's per-file tree has it: its idea of "core" must cover the bundle.
    const { attributeError } = (await import(pathToFileURL(join(root, 'dist', 'src', 'plugin-host', 'process-errors.js')).href)) as {
      attributeError(e: unknown): { kind: string };
    };
    const raisedIn = (file: string) => Object.assign(new Error('boom'), { stack: `Error: boom\n    at f (${file}:1:2)` });
    expect(attributeError(raisedIn(join(root, 'dist', 'bundle', 'chunk-ABC.js'))).kind).toBe('core');
    expect(attributeError(raisedIn(join(root, 'dist', 'src', 'actors', 'system.js'))).kind).toBe('core');
    expect(attributeError(raisedIn(join(root, 'node_modules', 'some-lib', 'index.js'))).kind).toBe('unknown');
  });
});
