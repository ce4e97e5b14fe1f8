import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIsolatedPlugin, type IsolatedPlugin } from '../../src/plugin-host/isolation/index.ts';
import { classifyRoutes, matchRoute, type MountedRoute } from '../../src/plugin-host/routes.ts';
import { fakeRuntime } from './support/runtime.ts';

/**
 * A sandboxed plugin's `routes` (the ElizaOS routes fixture of test/eliza-compat/routes-plugin.test.ts,
 * run in a child): classified like in-process ones, and each handler runs in the child with the
 * request serialised across and the answer (status, headers, JSON/text body) replayed on the real
 * response — for agents that granted `routes:register`.
 */
const entry = fileURLToPath(new URL('../fixtures/eliza-routes-plugin/plugins/notebook/index.ts', import.meta.url));

let p: IsolatedPlugin;
let mounted: MountedRoute[];
beforeAll(async () => {
  p = await startIsolatedPlugin({ entry, kind: 'file', grants: (agentId) => (agentId === 'agent-1' ? ['routes:register'] : []) });
  mounted = classifyRoutes(p.plugin.name, p.plugin.routes).mounted;
}, 30_000);
afterAll(async () => p?.stop());

/** The surface of src/transport/routes/plugin-routes.ts's response, recording what the handler did. */
function response() {
  const out = { status: 200, headers: {} as Record<string, string>, body: undefined as unknown };
  const res = {
    status: (n: number) => ((out.status = n), res),
    setHeader: (k: string, v: string) => ((out.headers[k.toLowerCase()] = v), res),
    json: (b: unknown) => ((out.headers['content-type'] ??= 'application/json'), (out.body = b), res),
    send: (b: unknown) => ((out.body = b), res),
  };
  return { res, out };
}

async function request(agentId: string, method: string, path: string, body?: unknown, query: Record<string, string> = {}) {
  const match = matchRoute(mounted, method, path.split('/').filter(Boolean));
  if (!match || !('route' in match)) throw new Error(`no route ${method} ${path}`);
  const { res, out } = response();
  const req = {
    method,
    path: match.route.path,
    url: path,
    originalUrl: path,
    params: match.params,
    query,
    body: body ?? {},
    headers: { 'content-type': 'application/json' },
    caller: { accountId: 'acc', role: 'admin' },
  };
  await match.route.handler(req, res, fakeRuntime(agentId).runtime);
  return out;
}

describe('routes of a sandboxed plugin', () => {
  it('are classified like in-process routes: the same mounted and refused lists', () => {
    expect(mounted.map((m) => `${m.method} ${m.path}`)).toEqual(['GET /notes', 'POST /notes', 'GET /notes/:noteId', 'GET /panel', 'GET /later', 'GET /boom']);
    expect(mounted.find((m) => m.path === '/panel')).toMatchObject({ public: true, name: 'Notebook' });
    expect(classifyRoutes(p.plugin.name, p.plugin.routes).refused.map((r) => [r.method, r.path, r.reason.split(' (')[0]])).toEqual([
      ['POST', '/attachments', 'file uploads'],
      ['STATIC', '/files', 'static file routes are not served'],
    ]);
  });

  it('run in the child: params, query and JSON body cross; status, headers and body come back; late answers too', async () => {
    expect(await request('agent-1', 'POST', '/notes', { text: 'buy rope' })).toMatchObject({ status: 201, body: { id: '1', text: 'buy rope' } });
    expect((await request('agent-1', 'GET', '/notes', undefined, { prefix: 'buy' })).body).toEqual({ agent: 'Ada', notes: [{ id: '1', text: 'buy rope' }] });
    expect(await request('agent-1', 'GET', '/notes/9')).toMatchObject({ status: 404, body: { error: 'no note 9' } });
    expect(await request('agent-1', 'GET', '/panel')).toMatchObject({ status: 200, headers: { 'x-panel': 'yes' }, body: '<h1>Notebook</h1>' });
    expect((await request('agent-1', 'GET', '/later')).body).toEqual({ late: true });
    await expect(request('agent-1', 'GET', '/boom')).rejects.toThrow('the notebook caught fire');
  });

  it('answer only for agents that granted routes:register, naming the permission', async () => {
    await expect(request('agent-2', 'GET', '/notes')).rejects.toThrow(
      'plugin "notebook" needs permission "routes:register", which is not granted for agent agent-2',
    );
  });
});
