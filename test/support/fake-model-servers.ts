import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/**
 * Local fake model servers on 127.0.0.1 speaking OpenAI's, Anthropic's and Ollama's wire formats,
 * with faults injected per request. The contract suite (test/models/contract.ts) runs every provider
 * against them; the OpenAI one doubles as an "instant model" for transport benchmarks:
 *
 *   const fake = await startFakeOpenAI();            // fake.url = 'http://127.0.0.1:PORT/v1'
 *   new OpenAI({ baseURL: fake.url, apiKey: 'x' });  ... await fake.close();
 */

/** One injected fault, consumed by the next request (in order). */
export type Fault =
  | { kind: 'rate_limit'; retryAfterS?: number }
  | { kind: 'server_error'; status?: number }
  | { kind: 'bad_request' }
  | { kind: 'unauthorized' }
  /** Accept the request and never answer (the client's timeout or abort must end it). */
  | { kind: 'hang' }
  /** 200 with a body that is not valid JSON. */
  | { kind: 'malformed' }
  /** 200 with a well-formed answer whose text is not JSON (for generateObject). */
  | { kind: 'not_json' }
  /** Stream some deltas, then destroy the connection. */
  | { kind: 'cut'; afterDeltas?: number };

export interface FakeServerOptions {
  /** The assistant's answer; default `Echo: <last user message>`. */
  reply?: (lastUserText: string, body: Record<string, unknown>) => string;
  /** The answer to JSON-output requests (response_format / format / schema instruction). */
  objectReply?: unknown;
  /** Embedding dimensions (default 8); vectors are a deterministic function of the text. */
  dims?: number;
  faults?: Fault[];
  /** Delay between streamed deltas (default 0). */
  chunkDelayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeServer {
  /** Base URL in the form the provider's SDK wants (OpenAI: with /v1; Anthropic, Ollama: origin). */
  url: string;
  origin: string;
  requests: RecordedRequest[];
  /** Push faults for the next requests. */
  faults: Fault[];
  close(): Promise<void>;
}

type Handler = (ctx: Ctx) => Promise<void> | void;
interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  body: Record<string, unknown>;
  fault: Fault | undefined;
  options: FakeServerOptions;
}

/** A deterministic unit vector for a text: same text, same vector, on every server and run. */
export function fakeVector(text: string, dims: number): Float32Array {
  const out = new Float32Array(dims);
  let seed = createHash('sha256').update(text).digest();
  for (let i = 0; i < dims; i++) {
    if (i % 32 === 0 && i > 0) seed = createHash('sha256').update(seed).digest();
    out[i] = seed[i % 32] / 255 - 0.5;
  }
  const norm = Math.hypot(...out) || 1;
  for (let i = 0; i < dims; i++) out[i] /= norm;
  return out;
}

/** Let what was written reach the client, then kill the connection mid-body. */
async function cut(res: ServerResponse): Promise<void> {
  await new Promise<void>((resolve) => res.write('', () => resolve()));
  await sleep(20);
  res.destroy();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

function lastUser(body: Record<string, unknown>): string {
  // Chat Completions/Anthropic/Ollama: `messages`; OpenAI's Responses API: `input` (a string or messages).
  if (typeof body.input === 'string') return body.input;
  const msgs = ((body.messages ?? body.input) as { role: string; content: unknown }[] | undefined) ?? [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    if (msgs[i].role === 'user') return typeof msgs[i].content === 'string' ? (msgs[i].content as string) : JSON.stringify(msgs[i].content);
  }
  return '';
}

function wantsJson(body: Record<string, unknown>): boolean {
  if (body.response_format || body.format) return true;
  const text = JSON.stringify(body.messages ?? '') + JSON.stringify(body.system ?? '');
  return text.includes('JSON Schema');
}

function answerText(ctx: Ctx): string {
  if (ctx.fault?.kind === 'not_json') return 'Sorry, I cannot do JSON today.';
  if (wantsJson(ctx.body)) return JSON.stringify(ctx.options.objectReply ?? { name: 'Ada', age: 36 });
  return ctx.options.reply ? ctx.options.reply(lastUser(ctx.body), ctx.body) : `Echo: ${lastUser(ctx.body)}`;
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

/** Common faults; returns true when the fault answered the request. */
function commonFault(ctx: Ctx, errorBody: (type: string, message: string) => unknown): boolean {
  const f = ctx.fault;
  if (!f) return false;
  switch (f.kind) {
    case 'rate_limit':
      json(ctx.res, 429, errorBody('rate_limit_error', 'slow down'), { 'retry-after': String(f.retryAfterS ?? 0) });
      return true;
    case 'server_error':
      json(ctx.res, f.status ?? 500, errorBody('api_error', 'the fake server failed'));
      return true;
    case 'bad_request':
      json(ctx.res, 400, errorBody('invalid_request_error', 'bad request'));
      return true;
    case 'unauthorized':
      json(ctx.res, 401, errorBody('authentication_error', 'bad key'));
      return true;
    case 'hang':
      return true; // never answer
    case 'malformed':
      ctx.res.writeHead(200, { 'content-type': 'application/json' });
      ctx.res.end('{"choices": [ {"oops"');
      return true;
    default:
      return false;
  }
}

async function start(options: FakeServerOptions, suffix: string, route: (path: string) => Handler | undefined): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [...(options.faults ?? [])];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      const path = (req.url ?? '/').split('?')[0];
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
      const handler = route(path);
      if (!handler) return json(res, 404, { error: { message: `no route ${path}` } });
      Promise.resolve(handler({ req, res, body, fault: faults.shift(), options })).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin + suffix,
    origin,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ── OpenAI: /v1/chat/completions (JSON or SSE), /v1/embeddings (floats or base64) ───────────────

export function startFakeOpenAI(options: FakeServerOptions = {}): Promise<FakeServer> {
  const openaiError = (type: string, message: string) => ({ error: { message, type, code: null } });
  return start(options, '/v1', (path) => {
    if (path === '/v1/chat/completions') return openaiChat;
    if (path === '/v1/embeddings') return openaiEmbeddings;
    if (path === '/v1/responses') return openaiResponses;
    if (path === '/v1/models')
      return ({ res }) => json(res, 200, { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }] });
    return undefined;
  });

  async function openaiChat(ctx: Ctx): Promise<void> {
    if (commonFault(ctx, openaiError)) return;
    const { res, body } = ctx;
    const model = String(body.model ?? 'fake-model');
    const text = answerText(ctx);
    const usage = { prompt_tokens: 11, completion_tokens: words(text).length, total_tokens: 11 + words(text).length };
    if (!body.stream) {
      return json(res, 200, {
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created: 0,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage,
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (v: unknown) => res.write(`data: ${JSON.stringify(v)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      created: 0,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const parts = words(text);
    for (let i = 0; i < parts.length; i++) {
      if (ctx.fault?.kind === 'cut' && i >= (ctx.fault.afterDeltas ?? 1)) return cut(res);
      send(chunk(i === 0 ? { role: 'assistant', content: parts[i] } : { content: parts[i] }, null));
      if (options.chunkDelayMs) await sleep(options.chunkDelayMs);
    }
    if (ctx.fault?.kind === 'cut') return cut(res);
    send(chunk({}, 'stop'));
    const so = body.stream_options as { include_usage?: boolean } | undefined;
    if (so?.include_usage) send({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model, choices: [], usage });
    res.end('data: [DONE]\n\n');
  }

  /** The Responses API (what the AI SDK's OpenAI provider and so @elizaos/plugin-openai call), without streaming. */
  function openaiResponses(ctx: Ctx): void {
    if (commonFault(ctx, openaiError)) return;
    const { res, body } = ctx;
    const text = answerText(ctx);
    const output = [{ type: 'message', id: 'msg_fake', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }];
    const usage = {
      input_tokens: 11,
      output_tokens: words(text).length,
      total_tokens: 11 + words(text).length,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    };
    json(res, 200, { id: 'resp_fake', object: 'response', created_at: 0, status: 'completed', model: String(body.model ?? 'fake-model'), output, usage });
  }

  function openaiEmbeddings(ctx: Ctx): void {
    if (commonFault(ctx, openaiError)) return;
    const { res, body } = ctx;
    const input = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
    const dims = options.dims ?? 8;
    const base64 = body.encoding_format === 'base64';
    json(res, 200, {
      object: 'list',
      model: String(body.model ?? 'fake-embedding'),
      data: input.map((t, index) => {
        const v = fakeVector(t, dims);
        return { object: 'embedding', index, embedding: base64 ? Buffer.from(v.buffer).toString('base64') : Array.from(v) };
      }),
      usage: { prompt_tokens: input.length, total_tokens: input.length },
    });
  }
}

// ── Anthropic: /v1/messages (JSON or SSE events) ────────────────────────────────────────────────

export function startFakeAnthropic(options: FakeServerOptions = {}): Promise<FakeServer> {
  const anthropicError = (type: string, message: string) => ({ type: 'error', error: { type, message } });
  return start(options, '', (path) => (path === '/v1/messages' ? messages : undefined));

  async function messages(ctx: Ctx): Promise<void> {
    if (commonFault(ctx, anthropicError)) return;
    const { res, body } = ctx;
    const model = String(body.model ?? 'fake-claude');
    const text = answerText(ctx);
    const parts = words(text);
    if (!body.stream) {
      return json(res, 200, {
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 13, output_tokens: parts.length },
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (v: { type: string }) => res.write(`event: ${v.type}\ndata: ${JSON.stringify(v)}\n\n`);
    send({
      type: 'message_start',
      message: {
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 13, output_tokens: 1 },
      },
    } as { type: string });
    send({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } as { type: string });
    for (let i = 0; i < parts.length; i++) {
      if (ctx.fault?.kind === 'cut' && i >= (ctx.fault.afterDeltas ?? 1)) return cut(res);
      send({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: parts[i] } } as { type: string });
      if (options.chunkDelayMs) await sleep(options.chunkDelayMs);
    }
    if (ctx.fault?.kind === 'cut') return cut(res);
    send({ type: 'content_block_stop', index: 0 } as { type: string });
    send({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: parts.length } } as { type: string });
    send({ type: 'message_stop' });
    res.end();
  }
}

// ── Ollama: /api/chat (NDJSON stream or one JSON), /api/embed ───────────────────────────────────

export function startFakeOllama(options: FakeServerOptions = {}): Promise<FakeServer> {
  const ollamaError = (_type: string, message: string) => ({ error: message });
  return start(options, '', (path) => (path === '/api/chat' ? chat : path === '/api/embed' ? embed : undefined));

  async function chat(ctx: Ctx): Promise<void> {
    if (commonFault(ctx, ollamaError)) return;
    const { res, body } = ctx;
    const model = String(body.model ?? 'fake-llama');
    const text = answerText(ctx);
    const parts = words(text);
    // Durations in ns, as Ollama reports them (clients such as ollama-ai-provider require them).
    const final = {
      model,
      created_at: new Date(0).toISOString(),
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 17,
      eval_count: parts.length,
      total_duration: 1_000_000,
      load_duration: 0,
      prompt_eval_duration: 500_000,
      eval_duration: 500_000,
    };
    if (body.stream === false) return json(res, 200, { ...final, message: { role: 'assistant', content: text } });
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (let i = 0; i < parts.length; i++) {
      if (ctx.fault?.kind === 'cut' && i >= (ctx.fault.afterDeltas ?? 1)) return cut(res);
      res.write(JSON.stringify({ model, created_at: new Date(0).toISOString(), message: { role: 'assistant', content: parts[i] }, done: false }) + '\n');
      if (options.chunkDelayMs) await sleep(options.chunkDelayMs);
    }
    if (ctx.fault?.kind === 'cut') return cut(res);
    res.end(JSON.stringify(final) + '\n');
  }

  function embed(ctx: Ctx): void {
    if (commonFault(ctx, ollamaError)) return;
    const { res, body } = ctx;
    const input = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
    json(res, 200, {
      model: String(body.model ?? 'fake-embed'),
      embeddings: input.map((t) => Array.from(fakeVector(t, options.dims ?? 8))),
      prompt_eval_count: input.length,
    });
  }
}
