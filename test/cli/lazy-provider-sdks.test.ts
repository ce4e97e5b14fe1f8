import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadedModules, startTracedServer } from './fixtures/loaded-modules.ts';

// The provider SDKs load on a provider's first call, not at start: a server on the local provider
// never loads them. Before, `chronicle start` resolved 831 modules, 400 of them @anthropic-ai/sdk,
// openai (and its @opentelemetry/api) and ollama. Seen through a module-loader hook that records every
// module the server process resolves (fixtures/trace-imports.mjs).
const dataDir = mkdtempSync(join(tmpdir(), 'chronicle-lazy-sdk-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('chronicle start on the local provider', () => {
  it('loads no remote provider SDK, nor pg, esbuild, jose or rxjs’s index', async () => {
    const { server, traceFile } = await startTracedServer(dataDir);
    const health = await fetch(`${server.url}/api/v1/health`);
    expect(health.status).toBe(200);
    expect((await server.stop('SIGTERM')).code).toBe(0);

    const loaded = loadedModules(traceFile);
    // The trace sees the server's own packages (so an SDK would show up too)…
    expect(loaded.some((p) => p.startsWith('node_modules/better-sqlite3/'))).toBe(true);
    expect(loaded).toContain('plugins/openai/openai-provider.ts');
    // …and none of the SDKs, nor what only some requests or deployments need: pg (DATABASE_URL), esbuild
    // (sandboxed or TypeScript plugins), jose (the first token), pdfjs (a PDF), the inspector.
    for (const sdk of ['openai', '@anthropic-ai/sdk', 'ollama', 'node-llama-cpp', 'pg', 'esbuild', 'jose', 'pdfjs-dist', '@statelyai/inspect']) {
      expect(
        loaded.filter((p) => p.startsWith(`node_modules/${sdk}/`)),
        sdk,
      ).toEqual([]);
    }
    // RxJS through src/shared/rx.ts: its four modules, not the index that requires the whole library.
    expect(loaded.filter((p) => p.endsWith('/rxjs/dist/cjs/index.js'))).toEqual([]);
  }, 90_000);
});
