import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { AppError } from '../app/errors.ts';
import { toJson } from './sanitize.ts';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
export const statusLine = (status: number) => `${status} ${STATUS_TEXT[status] ?? 'Status'}`;

/** Everything about a request that must be copied out of uWS's stack-allocated HttpRequest up front. */
export interface RequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string;
  contentType: string;
  /** The OpenAI-compatible endpoint's retry key ('' when absent). */
  idempotencyKey: string;
  contentLength: number | undefined;
  ip: string;
  /** The browser's Origin header ('' when absent): CORS. */
  origin: string;
  /** A preflight's Access-Control-Request-Method / -Headers ('' when absent). */
  corsMethod: string;
  corsHeaders: string;
}

export function readRequestInfo(res: HttpResponse, req: HttpRequest): RequestInfo {
  const rawLength = req.getHeader('content-length');
  return {
    method: req.getMethod().toUpperCase(),
    path: req.getUrl(),
    query: new URLSearchParams(req.getQuery() ?? ''),
    authorization: req.getHeader('authorization'),
    contentType: req.getHeader('content-type'),
    idempotencyKey: req.getHeader('idempotency-key'),
    contentLength: rawLength === '' ? undefined : Number(rawLength),
    ip: Buffer.from(res.getRemoteAddressAsText()).toString(),
    origin: req.getHeader('origin'),
    corsMethod: req.getHeader('access-control-request-method'),
    corsHeaders: req.getHeader('access-control-request-headers'),
  };
}

/**
 * One response: tracks abortion (a write after onAborted would crash the process), corks writes made
 * after an await, and makes sure exactly one answer is sent.
 */
export class Reply {
  aborted = false;
  done = false;
  status = 0;
  /** Headers every answer on this response carries (CORS), whatever writes it. */
  always: Record<string, string> = {};
  private onAbortHandlers: (() => void)[] = [];

  constructor(readonly res: HttpResponse) {
    res.onAborted(() => {
      this.aborted = true;
      this.done = true;
      for (const h of this.onAbortHandlers) h();
    });
  }

  /** The answer's own headers, then those every answer carries (CORS) that it did not set itself. */
  private writeHeaders(headers: Record<string, string>): void {
    for (const k in headers) this.res.writeHeader(k, headers[k]);
    for (const k in this.always) if (!(k in headers)) this.res.writeHeader(k, this.always[k]);
  }

  onAbort(handler: () => void): void {
    this.onAbortHandlers.push(handler);
  }

  send(status: number, body: string | Uint8Array | undefined, headers: Record<string, string> = {}, closeConnection = false): void {
    if (this.done) return;
    this.done = true;
    this.status = status;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      this.writeHeaders(headers);
      if (status === 204) this.res.endWithoutBody(0, closeConnection);
      else this.res.end(body ?? '', closeConnection);
    });
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.send(status, status === 204 ? undefined : toJson(body), { 'content-type': 'application/json; charset=utf-8', ...headers });
  }

  error(err: AppError, shape: 'chronicle' | 'openai' = 'chronicle', closeConnection = false): void {
    const body =
      shape === 'openai'
        ? { error: { message: err.message, type: openaiType(err.status), code: err.code } }
        : { error: { ...err.details, code: err.code, message: err.message } };
    if (this.done) return;
    this.done = true;
    this.status = err.status;
    const text = toJson(body);
    this.res.cork(() => {
      this.res.writeStatus(statusLine(err.status)).writeHeader('content-type', 'application/json; charset=utf-8');
      this.writeHeaders(err.headers);
      this.res.end(text, closeConnection);
    });
  }

  /** Starts a server-sent-event stream (chunked). */
  startStream(headers: Record<string, string>): void {
    if (this.done) return;
    this.status = 200;
    this.res.cork(() => {
      this.res.writeStatus('200 OK');
      this.writeHeaders(headers);
      this.res.write('');
    });
  }

  write(chunk: string): void {
    if (this.done) return;
    this.res.cork(() => this.res.write(chunk));
  }

  endStream(): void {
    if (this.done) return;
    this.done = true;
    this.res.cork(() => this.res.end());
  }
}

function openaiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export const payloadTooLarge = (limit: number) => new AppError(413, 'payload_too_large', `request body exceeds ${limit} bytes`);

/** How long a request body may take: in all, and between two pieces of it. */
export interface BodyTimeouts {
  totalMs: number;
  /** Below uWebSockets' own 10 s idle timeout, which closes the connection without an answer. */
  idleMs: number;
}

/**
 * Collects the request body; must be called synchronously in the uWS handler (before any await).
 * Stops collecting as soon as `limit` is exceeded and rejects with 413, so a huge upload costs at most
 * `limit` bytes of memory (uWS reads and drops the rest, so the client gets to read the 413). A body
 * that does not arrive in time rejects with 408.
 */
export function collectBody(res: HttpResponse, limit: number, reply: Reply, timeouts: BodyTimeouts): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let idleTimer: NodeJS.Timeout | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(totalTimer);
      clearTimeout(idleTimer);
      fn();
    };
    const timedOut = (what: string) => settle(() => reject(new AppError(408, 'timeout', `request body not received in time (${what}); send it at once`)));
    const totalTimer = setTimeout(() => timedOut(`${timeouts.totalMs} ms in all`), timeouts.totalMs);
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => timedOut(`nothing for ${timeouts.idleMs} ms`), timeouts.idleMs);
    };
    armIdle();
    // A client that goes away mid-upload must not leave the handler waiting forever.
    reply.onAbort(() => settle(() => reject(new AppError(400, 'invalid_json', 'request aborted while its body was being read'))));
    const chunks: Buffer[] = [];
    let size = 0;
    res.onData((chunk, isLast) => {
      if (settled) return;
      size += chunk.byteLength;
      if (size > limit) {
        chunks.length = 0;
        settle(() => reject(payloadTooLarge(limit)));
        return;
      }
      // uWS neuters the ArrayBuffer on return: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      if (isLast) settle(() => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      else armIdle();
    });
  });
}

export function isJsonContentType(value: string): boolean {
  const type = value.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new AppError(400, 'invalid_json', 'request body is empty; a JSON object is expected');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new AppError(400, 'invalid_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
}
