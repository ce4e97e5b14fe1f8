import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings, SettingsError } from '../../src/settings/settings.ts';
import { apiClient } from '../support/http-client.ts';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';

const FRONTEND = 'http://localhost:5173';
const METRICS_TOKEN = 'scraper-token-0123456789';

describe('CORS and the scraper token', () => {
  let t: TestServer;
  let closed: TestServer;
  let token: string;
  beforeAll(async () => {
    t = await startTestServer({ corsOrigins: [FRONTEND], metricsToken: METRICS_TOKEN });
    closed = await startTestServer({});
    token = (await apiClient(t.url).login('admin', t.adminPassword)).accessToken;
  });
  afterAll(async () => {
    await t?.close();
    await closed?.close();
  });

  const preflight = (base: string, origin: string, method = 'POST', headers = 'authorization, content-type') =>
    fetch(`${base}/api/v1/rooms`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    });

  it('answers the preflight of a listed origin with that origin, the path’s methods and the headers asked for', async () => {
    const r = await preflight(t.url, FRONTEND);
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    expect(r.headers.get('vary')).toContain('Origin');
    expect(r.headers.get('access-control-allow-methods')?.split(', ')).toEqual(expect.arrayContaining(['GET', 'POST']));
    expect(r.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('refuses the preflight of an origin not listed, of a method the path lacks, of an unknown header — and everything when none is listed', async () => {
    const other = await preflight(t.url, 'http://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await other.json()) as { error: { message: string } }).error.message).toContain('http://evil.example');
    expect((await preflight(t.url, FRONTEND, 'DELETE')).status).toBe(403);
    expect((await preflight(t.url, FRONTEND, 'POST', 'x-forwarded-host')).status).toBe(403);
    const none = await preflight(closed.url, FRONTEND);
    expect(none.status).toBe(403);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain('CORS_ORIGINS is empty');
  });

  it('puts the origin on real answers, errors included, only for a listed origin; a plain OPTIONS lists the methods', async () => {
    const ok = await fetch(`${t.url}/api/v1/agents`, { headers: { origin: FRONTEND, authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    const denied = await fetch(`${t.url}/api/v1/agents`, { headers: { origin: FRONTEND } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    const foreign = await fetch(`${t.url}/api/v1/agents`, { headers: { origin: 'http://evil.example', authorization: `Bearer ${token}` } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const plain = await fetch(`${t.url}/api/v1/rooms`, { method: 'OPTIONS' });
    expect(plain.status).toBe(204);
    expect(plain.headers.get('allow')).toContain('POST');
  });

  it('`*` answers any origin with `*` and never with credentials', async () => {
    const any = await startTestServer({ corsOrigins: ['*'] });
    try {
      const r = await preflight(any.url, 'http://anything.example');
      expect(r.status).toBe(204);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await any.close();
    }
  });

  it('lets a scraper read /api/v1/metrics with METRICS_TOKEN, and nothing else with it', async () => {
    const r = await fetch(`${t.url}/api/v1/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('# TYPE');
    expect((await fetch(`${t.url}/api/v1/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${t.url}/api/v1/metrics`)).status).toBe(401);
    expect((await fetch(`${t.url}/api/v1/events`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(401);
    // Without METRICS_TOKEN set, the same bearer is just a bad JWT.
    expect((await fetch(`${closed.url}/api/v1/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(401);
  });

  it('refuses settings that are not origins or a token too short to be secret', () => {
    expect(readSettings({ CORS_ORIGINS: 'http://a.example, https://b.example:8443' }).corsOrigins).toEqual(['http://a.example', 'https://b.example:8443']);
    expect(() => readSettings({ CORS_ORIGINS: 'http://a.example/' })).toThrow(SettingsError);
    expect(() => readSettings({ CORS_ORIGINS: 'a.example' })).toThrow(/not an origin/);
    expect(() => readSettings({ METRICS_TOKEN: 'short' })).toThrow(/16 characters/);
  });
});
