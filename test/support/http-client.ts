/** A tiny JSON client over fetch for the transport tests. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (string) instead of JSON-encoding `body`. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
}

export function apiClient(baseUrl: string) {
  async function request<T = any>(method: string, path: string, o: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | Uint8Array | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(baseUrl + path, { method, headers, body, signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    let parsed: any = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }
  return {
    request,
    get: <T = any>(path: string, o?: RequestOptions) => request<T>('GET', path, o),
    post: <T = any>(path: string, body?: unknown, o?: RequestOptions) => request<T>('POST', path, { ...o, body }),
    patch: <T = any>(path: string, body?: unknown, o?: RequestOptions) => request<T>('PATCH', path, { ...o, body }),
    del: <T = any>(path: string, o?: RequestOptions) => request<T>('DELETE', path, o),
    async login(username: string, password: string) {
      const r = await request('POST', '/api/v1/auth/login', { body: { username, password } });
      if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${r.text}`);
      return r.body as { accessToken: string; refreshToken: string; account: { id: string; role: string } };
    },
    async register(username: string, password = 'password-123') {
      const r = await request('POST', '/api/v1/auth/register', { body: { username, password } });
      if (r.status !== 201) throw new Error(`register ${username} failed: ${r.status} ${r.text}`);
      return r.body as { accessToken: string; refreshToken: string; account: { id: string; role: string } };
    },
  };
}
export type ApiClient = ReturnType<typeof apiClient>;
