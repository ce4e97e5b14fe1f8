import { readSettings } from '../settings/settings.ts';

/**
 * Talks to a running server over its public API, for CLI commands that must not open the log while
 * the server owns it. Credentials: --username/--password, or CHRONICLE_USERNAME/CHRONICLE_PASSWORD,
 * or the admin account with ADMIN_PASSWORD.
 */
export const apiOptions = {
  url: { type: 'string' as const },
  username: { type: 'string' as const },
  password: { type: 'string' as const },
};

export interface ApiClient {
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
}

export function defaultUrl(): string {
  const s = readSettings();
  return `http://${s.host}:${s.port}`;
}

/** One JSON call to the public API; a refused call throws with the API's own error message. */
export async function callApi(base: string, method: string, path: string, token?: string, body?: unknown): Promise<any> {
  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new Error(`cannot reach a Chronicle server at ${base} (${(err as Error).message}); is it running?`);
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : {};
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${json?.error?.message ?? text}`);
  return json;
}

export async function connectApi(values: Record<string, string | boolean | undefined>): Promise<ApiClient> {
  const base = String(values.url ?? defaultUrl()).replace(/\/$/, '');
  const username = String(values.username ?? process.env.CHRONICLE_USERNAME ?? 'admin');
  const password = values.password ?? process.env.CHRONICLE_PASSWORD ?? process.env.ADMIN_PASSWORD;
  if (typeof password !== 'string') throw new Error('no password: pass --password, or set CHRONICLE_PASSWORD or ADMIN_PASSWORD');
  const { accessToken } = (await callApi(base, 'POST', '/api/v1/auth/login', undefined, { username, password })) as { accessToken: string };
  return {
    get: (path) => callApi(base, 'GET', path, accessToken),
    post: (path, body) => callApi(base, 'POST', path, accessToken, body),
  };
}
