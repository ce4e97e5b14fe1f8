import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';

/** Error bodies are read up to this size (enough for any JSON error; a runaway body is cut). */
const MAX_ERROR_BODY = 64 * 1024;
/** Non-streamed JSON answers (chat, embeddings) are refused past this size. */
const MAX_JSON_BODY = 64 * 1024 * 1024;

/** A non-2xx answer: `status` and `headers` are what src/models/errors.ts maps (retry-after, 429, 5xx…). */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    message: string,
  ) {
    super(message);
    this.name = 'HttpStatusError';
  }
}

/**
 * POSTs JSON to an OpenAI-compatible server over node:http(s) with a keep-alive pool. Why not the
 * official SDK: per streamed call it spent ~0.8 ms of CPU (Request/Response objects, web streams,
 * header classes) against ~0.1 ms here, measured in bench/openai-client.ts — the largest single cost
 * of a reply with a fast model. Retries, deadlines and error vocabulary stay where they were
 * (ResilientProvider, CallScope, toModelError).
 */
export class WireClient {
  private readonly base: URL;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;

  constructor(baseURL: string, apiKey: string, extraHeaders: Record<string, string> = {}) {
    this.base = new URL(baseURL.endsWith('/') ? baseURL : `${baseURL}/`);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new Error(`unsupported base URL protocol ${this.base.protocol}`);
    this.transport = this.base.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets: 64 });
    this.headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, 'user-agent': 'chronicle', ...extraHeaders };
  }

  /** Which module serves this base URL (tests check that https is really https). */
  get protocol(): 'http:' | 'https:' {
    return this.base.protocol as 'http:' | 'https:';
  }

  /** The response once its status is 2xx (its body unread); a non-2xx status rejects with HttpStatusError. */
  post(path: string, body: unknown, signal: AbortSignal, accept = 'application/json'): Promise<IncomingMessage> {
    const payload = Buffer.from(JSON.stringify(body));
    const url = new URL(path.replace(/^\//, ''), this.base);
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.transport.request(
        url,
        { method: 'POST', agent: this.agent, signal, headers: { ...this.headers, accept, 'content-length': String(payload.length) } },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(res);
          readBody(res, MAX_ERROR_BODY).then(
            (text) => reject(new HttpStatusError(status, res.headers, errorMessage(text, status))),
            () => reject(new HttpStatusError(status, res.headers, `HTTP ${status}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async postJson<T>(path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const res = await this.post(path, body, signal);
    return JSON.parse(await readBody(res, MAX_JSON_BODY)) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The body as text, refusing (destroying the response) past `limit` bytes. */
export function readBody(res: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        res.destroy();
        return reject(new Error(`response body larger than ${limit} bytes`));
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}

function errorMessage(text: string, status: number): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof body.error === 'string') return body.error;
    if (body.error && typeof body.error.message === 'string') return body.error.message;
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON: the text itself says more than nothing
  }
  return text.trim().slice(0, 500) || `HTTP ${status}`;
}
