import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

/**
 * The fetch the OpenAI SDK calls: node:http with keep-alive agents tuned for model servers — idle
 * sockets kept 30 s (a room answering every few seconds would otherwise reconnect, and over TLS pay a
 * handshake per reply), at most 64 connections per origin. Not Node's global fetch: undici's request
 * machinery cost more main-thread time per model call than the rest of the call together
 * (bench/RESULTS-models.md, "Session 7"). The SDK only ever calls it with a URL string and a
 * string/bytes body; anything else goes to the global fetch. The body is not decompressed, so no
 * `accept-encoding` is sent unless the caller sets one.
 */
// `timeout` ends a socket idle in the pool after 30 s (a socket in use only gets a 'timeout' event,
// which nothing here acts on: a slow model keeps its request).
export const KEEP_ALIVE = { keepAlive: true, timeout: 30_000, maxSockets: 64, scheduling: 'lifo' } as const;

export class KeepAliveFetch {
  private readonly agents = { 'http:': new http.Agent(KEEP_ALIVE), 'https:': new https.Agent(KEEP_ALIVE) };

  readonly fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = init?.body;
    const plainBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (input instanceof Request || !plainBody) return fetch(input, init);
    const url = typeof input === 'string' ? new URL(input) : input;
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return fetch(input, init);
    const method = init?.method ?? 'GET';
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? https : http).request(
        url,
        { method, headers: headerRecord(init?.headers), agent: this.agents[url.protocol as 'http:' | 'https:'], signal: init?.signal ?? undefined },
        (res) => {
          const headers = new Headers();
          const raw = res.rawHeaders;
          for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
          const status = res.statusCode ?? 502;
          const empty = method === 'HEAD' || status === 204 || status === 304;
          if (empty) res.resume();
          resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage, headers }));
        },
      );
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  };

  /** Frees the pools' sockets. */
  async close(): Promise<void> {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers);
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return headers as Record<string, string>;
}
