import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyRoutes } from '../../src/plugin-host/routes.ts';
import { ADMIN_PASSWORD, startRealServer } from '../plugin-isolation/support/real-server.ts';

/**
 * Issue 14 item 6: plugin routes are served under /api/v1/agents/:id/plugins/:plugin/<path> behind
 * Chronicle's auth, with an Express-like req/res; those that cannot be served are refused, each with
 * its reason, and listed. Checked with a fixture plugin and with @elizaos/plugin-knowledge's own list.
 */
const PLUGINS = join(import.meta.dirname, '..', 'fixtures', 'eliza-routes-plugin', 'plugins');

let server: Awaited<ReturnType<typeof startRealServer>>;
let admin: string;
let agentId: string;
const call = async (method: string, path: string, token?: string, body?: unknown) => {
  const res = await fetch(server.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
};
const tokenOf = async (username: string, password: string) =>
  (await call('POST', '/api/v1/auth/login', undefined, { username, password })).json.accessToken as string;

beforeAll(async () => {
  server = await startRealServer({ PLUGINS_DIR: PLUGINS });
  admin = await tokenOf('admin', ADMIN_PASSWORD);
  const created = await call('POST', '/api/v1/agents', admin, { name: 'Scribe', bio: ['keeps notes'], plugins: ['notebook'] });
  agentId = created.json.agent.id;
}, 60_000);
afterAll(async () => server?.close());

describe('plugin routes', () => {
  it('lists what is mounted and what is refused, with reasons', async () => {
    const r = await call('GET', `/api/v1/agents/${agentId}/plugins`, admin);
    expect(r.status).toBe(200);
    expect(r.json.routes.mounted.map((m: any) => `${m.method} ${m.path}`)).toEqual([
      'GET /notes',
      'POST /notes',
      'GET /notes/:noteId',
      'GET /panel',
      'GET /later',
      'GET /boom',
    ]);
    expect(r.json.routes.mounted[0].url).toBe(`/api/v1/agents/${agentId}/plugins/notebook/notes`);
    expect(r.json.routes.refused).toEqual([
      { plugin: 'notebook', method: 'POST', path: '/attachments', reason: expect.stringMatching(/^file uploads \(multipart, multer\) are not supported/) },
      { plugin: 'notebook', method: 'STATIC', path: '/files', reason: expect.stringMatching(/^static file routes are not served/) },
    ]);
  });

  it('serves GET and POST with params, query and a JSON body through the Express-like adapter', async () => {
    const base = `/api/v1/agents/${agentId}/plugins/notebook`;
    const added = await call('POST', `${base}/notes`, admin, { text: 'buy rope' });
    expect(added.status).toBe(201);
    expect(added.json).toEqual({ id: '1', text: 'buy rope' });
    await call('POST', `${base}/notes`, admin, { text: 'sell sails' });
    expect((await call('GET', `${base}/notes?prefix=buy`, admin)).json).toEqual({ agent: 'Scribe', notes: [{ id: '1', text: 'buy rope' }] });
    expect((await call('GET', `${base}/notes/2`, admin)).json).toEqual({ id: '2', text: 'sell sails' });
    expect((await call('GET', `${base}/notes/9`, admin)).status).toBe(404);
    expect((await call('POST', `${base}/notes`, admin, { nope: 1 })).json).toEqual({ error: 'text is required' });
    const panel = await call('GET', `${base}/panel`, admin);
    expect([panel.status, panel.text, panel.headers.get('x-panel'), panel.headers.get('content-type')]).toEqual([
      200,
      '<h1>Notebook</h1>',
      'yes',
      'text/html; charset=utf-8',
    ]);
    expect((await call('GET', `${base}/later`, admin)).json).toEqual({ late: true });
    // The full package name works as well as the short one.
    expect((await call('GET', `/api/v1/agents/${agentId}/plugins/${encodeURIComponent('@elizaos/plugin-notebook')}/notes/1`, admin)).json.text).toBe(
      'buy rope',
    );
  });

  it('answers errors clearly: a throwing handler, a refused route, an unknown one, a wrong method', async () => {
    const base = `/api/v1/agents/${agentId}/plugins/notebook`;
    const boom = await call('GET', `${base}/boom`, admin);
    expect([boom.status, boom.json.error.message]).toEqual([500, 'plugin notebook failed on GET /boom: the notebook caught fire']);
    const refused = await call('POST', `${base}/attachments`, admin, { a: 1 });
    expect(refused.status).toBe(501);
    expect(refused.json.error.message).toMatch(/^POST \/attachments of plugin notebook is not served: file uploads/);
    expect((await call('GET', `${base}/nothing`, admin)).status).toBe(404);
    expect((await call('DELETE', `${base}/notes`, admin)).status).toBe(405);
    expect((await call('GET', `/api/v1/agents/${agentId}/plugins/other/notes`, admin)).status).toBe(404);
  });

  it('needs a token, public routes included; a user needs to share a room with the agent', async () => {
    const base = `/api/v1/agents/${agentId}/plugins/notebook`;
    expect((await call('GET', `${base}/panel`)).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/register', undefined, { username: 'reader', password: 'reader-password-1', name: 'Reader' })).status).toBe(201);
    const reader = await tokenOf('reader', 'reader-password-1');
    expect((await call('GET', `${base}/notes`, reader)).status).toBe(403);
    expect((await call('POST', '/api/v1/rooms', reader, { name: 'with scribe', agentIds: [agentId] })).status).toBe(201);
    expect((await call('GET', `${base}/notes`, reader)).json.notes).toHaveLength(2);
  });
});

describe("@elizaos/plugin-knowledge's routes", () => {
  it('mount the JSON ones and refuse the multer upload and the static asset folder, with reasons', async () => {
    const knowledge = (await import('@elizaos/plugin-knowledge')).default as { name: string; routes: unknown[] };
    const { mounted, refused } = classifyRoutes(knowledge.name, knowledge.routes);
    expect(mounted.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /display',
      'GET /documents',
      'GET /documents/:knowledgeId',
      'DELETE /documents/:knowledgeId',
      'GET /knowledges',
      'GET /search',
      'GET /graph/nodes',
      'GET /graph/node/:nodeId',
      'GET /graph/expand/:documentId',
    ]);
    expect(refused.map((r) => [r.method, r.path, r.reason.split(';')[0].split('(')[0].trim()])).toEqual([
      ['GET', '/assets/*', 'wildcard paths'],
      ['POST', '/documents', 'file uploads'],
    ]);
  });
});
