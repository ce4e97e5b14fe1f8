import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';

let t: TestServer;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'chronicle-web-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Chronicle</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]));
  t = await startTestServer({}, { webRoot: root });
});
afterAll(async () => t?.close());

describe('the web client at /', () => {
  it('serves index.html at /; any other path that is no file is a 404, not the page (the client routes by #fragment)', async () => {
    const root = await fetch(t.url + '/');
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toContain('text/html');
    expect(await root.text()).toContain('<title>Chronicle</title>');
    for (const path of ['/metrics', '/chat/some-room', '/favicon.ico', '/assets/missing.js']) {
      const r = await fetch(t.url + path);
      expect(r.status, path).toBe(404);
      expect(await r.text()).not.toContain('<title>Chronicle</title>');
    }
  });

  it('serves assets with their type and exact bytes; no path escapes the root', async () => {
    const js = await fetch(t.url + '/assets/app.js');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toBe('console.log(1)');
    const png = Buffer.from(await (await fetch(t.url + '/assets/logo.png')).arrayBuffer());
    expect([...png]).toEqual([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]);
    const escape = await fetch(t.url + '/..%2f..%2f..%2fetc%2fpasswd');
    expect(escape.status).toBe(404);
    expect(await escape.text()).not.toContain('root:');
  });

  it('API paths stay API: unknown /api and /v1 routes are JSON 404s', async () => {
    const r = await fetch(t.url + '/api/v1/nope');
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
