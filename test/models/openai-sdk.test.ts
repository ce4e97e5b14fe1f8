import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { OpenAIProvider } from '../../plugins/openai/index.ts';

describe('OpenAI provider on the official SDK', () => {
  it("keeps the base URL's scheme (https stays https; no network needed to tell)", () => {
    expect(new OpenAIProvider({ baseURL: 'https://api.example.invalid/v1' }).protocol).toBe('https:');
    expect(new OpenAIProvider({ baseURL: 'http://127.0.0.1:1/v1' }).protocol).toBe('http:');
  });

  it('a consumer that stops reading early releases the request instead of leaving it half-read', async () => {
    // A slow streaming server that notes whether each response was torn down before it finished.
    const outcomes: string[] = [];
    const server: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const chunk = (delta: object, finish: string | null) => `data: ${JSON.stringify({ choices: [{ delta, finish_reason: finish }] })}\n\n`;
      const timer = setInterval(() => {
        if (i < 6) res.write(chunk({ content: `w${i++} ` }, null));
        else clearInterval(timer), res.end(chunk({}, 'stop') + 'data: [DONE]\n\n'), outcomes.push('finished');
      }, 20);
      res.on('close', () => {
        clearInterval(timer);
        if (!res.writableFinished) outcomes.push('torn down');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const provider = new OpenAIProvider({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'k' });
    try {
      for await (const chunk of provider.streamText({ messages: [{ role: 'user', content: 'hi' }] })) if (chunk.type === 'delta') break;
      for (let waited = 0; outcomes.length === 0 && waited < 2000; waited += 10) await new Promise((r) => setTimeout(r, 10));
      expect(outcomes).toEqual(['torn down']);
      // And the provider still works afterwards (the pool was not poisoned).
      let text = '';
      for await (const chunk of provider.streamText({ messages: [{ role: 'user', content: 'again' }] })) if (chunk.type === 'delta') text += chunk.text;
      expect(text).toBe('w0 w1 w2 w3 w4 w5 ');
      expect(outcomes).toEqual(['torn down', 'finished']);
    } finally {
      await provider.close();
      server.close();
    }
  });

  it('an error status carries the server’s message and retry-after into the model error', async () => {
    const server: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
      res.end(JSON.stringify({ error: { message: 'slow down please' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const provider = new OpenAIProvider({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'k' });
    try {
      const err = await provider.generateText({ messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
      expect(err).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 3000 });
      expect(err.message).toContain('slow down please');
    } finally {
      await provider.close();
      server.close();
    }
  });

  it("keeps its connection alive past undici's 4 s default idle time (the SDK's fetch is tuned for keep-alive)", async () => {
    // Raw HTTP/1.1 without a Keep-Alive header (as many API front ends answer): no hint for the client's
    // idle timeout, so only its own setting decides whether the socket is still there 5 s later.
    let connections = 0;
    const body = JSON.stringify({
      model: 'm',
      choices: [{ message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1 },
    });
    const server = createNetServer((socket) => {
      connections++;
      let buffered = '';
      socket.on('data', (d) => {
        buffered += d.toString('latin1');
        for (;;) {
          const end = buffered.indexOf('\r\n\r\n');
          if (end < 0) return;
          const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
          if (buffered.length < end + 4 + length) return;
          buffered = buffered.slice(end + 4 + length);
          socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const provider = new OpenAIProvider({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'k' });
    const ask = () => provider.generateText({ messages: [{ role: 'user', content: 'hi' }] });
    try {
      await ask();
      await ask();
      const before = connections;
      await new Promise((r) => setTimeout(r, 5_000));
      await ask();
      expect(connections).toBe(before);
    } finally {
      await provider.close();
      server.close();
    }
  }, 15_000);
});
