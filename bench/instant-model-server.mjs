// The "instant" OpenAI-compatible model server of bench/transport.ts, in its own process. Plain
// JavaScript on native uWebSockets.js: the test double in test/support/fake-model-servers.ts (node:http,
// fault injection, every request recorded) spent ~0.5 ms of CPU per call (measured), on a 2-core box where every
// millisecond it burns is taken from the server being measured. This one answers the same wire format
// (chat completions, streamed as SSE or not; embeddings as floats or base64) with as little work as the
// format allows. Prints `URL <base url>` once listening; exits when its stdin closes, printing its request
// counts and CPU on stderr. `EMBED_DIMS` sets the embedding size (default 512, like the embedded USE-lite).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const uws = require('uWebSockets.js');
if (!Function.prototype.toString.call(uws.App).includes('[native code]')) throw new Error('uWebSockets.js native addon did not load');

const DIMS = Number(process.env.EMBED_DIMS ?? 512);
const counts = { chat: 0, embeddings: 0 };

/** The assistant's answer: `Echo: <last user message>`, like the test double. */
function answer(body) {
  const msgs = Array.isArray(body.messages) ? body.messages : [];
  for (let i = msgs.length - 1; i >= 0; i--)
    if (msgs[i].role === 'user') return `Echo: ${typeof msgs[i].content === 'string' ? msgs[i].content : JSON.stringify(msgs[i].content)}`;
  return 'Echo: ';
}

/** A deterministic unit vector per text (FNV-1a seeded xorshift): same text, same vector. */
function vector(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  const v = new Float32Array(DIMS);
  let s = h >>> 0 || 1;
  let norm = 0;
  for (let i = 0; i < DIMS; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    v[i] = (s >>> 0) / 4294967296 - 0.5;
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < DIMS; i++) v[i] /= norm;
  return v;
}

function chat(res, body) {
  counts.chat++;
  const model = String(body.model ?? 'instant');
  const text = answer(body);
  const words = text.match(/\S+\s*/g) ?? [text];
  const usage = { prompt_tokens: 11, completion_tokens: words.length, total_tokens: 11 + words.length };
  if (!body.stream) {
    const out = JSON.stringify({
      id: 'chatcmpl-instant',
      object: 'chat.completion',
      created: 0,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage,
    });
    return res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(out));
  }
  const chunk = (delta, finish) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-instant', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  let sse = '';
  for (let i = 0; i < words.length; i++) sse += chunk(i === 0 ? { role: 'assistant', content: words[i] } : { content: words[i] }, null);
  sse += chunk({}, 'stop');
  if (body.stream_options?.include_usage)
    sse += `data: ${JSON.stringify({ id: 'chatcmpl-instant', object: 'chat.completion.chunk', created: 0, model, choices: [], usage })}\n\n`;
  sse += 'data: [DONE]\n\n';
  res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'text/event-stream').end(sse));
}

function embeddings(res, body) {
  counts.embeddings++;
  const input = Array.isArray(body.input) ? body.input : [String(body.input)];
  const base64 = body.encoding_format === 'base64';
  const data = input.map((t, index) => {
    const v = vector(String(t));
    return { object: 'embedding', index, embedding: base64 ? Buffer.from(v.buffer).toString('base64') : Array.from(v) };
  });
  const out = JSON.stringify({
    object: 'list',
    model: String(body.model ?? 'instant-embedding'),
    data,
    usage: { prompt_tokens: input.length, total_tokens: input.length },
  });
  res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(out));
}

/** Reads the whole body, then answers; a client that goes away mid-body is just dropped. */
function post(handler) {
  return (res) => {
    let aborted = false;
    const parts = [];
    res.onAborted(() => (aborted = true));
    res.onData((ab, last) => {
      parts.push(Buffer.from(ab.slice(0)));
      if (!last || aborted) return;
      let body;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        return res.cork(() =>
          res.writeStatus('400 Bad Request').writeHeader('content-type', 'application/json').end('{"error":{"message":"body is not JSON"}}'),
        );
      }
      handler(res, body);
    });
  };
}

const app = uws
  .App()
  .post('/v1/chat/completions', post(chat))
  .post('/v1/embeddings', post(embeddings))
  .any('/*', (res) => res.writeStatus('404 Not Found').end('{"error":{"message":"no route"}}'));
app.listen('127.0.0.1', 0, (socket) => {
  if (!socket) throw new Error('instant model server could not listen');
  process.stdout.write(`URL http://127.0.0.1:${uws.us_socket_local_port(socket)}/v1\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    const c = process.cpuUsage();
    process.stderr.write(
      `instant model server: ${counts.chat} chat, ${counts.embeddings} embedding requests; its CPU: ${((c.user + c.system) / 1e6).toFixed(2)} s\n`,
    );
    uws.us_listen_socket_close(socket);
    process.exit(0);
  });
});
