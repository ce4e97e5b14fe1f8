import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { OpenAIProvider } from '../../plugins/openai/index.ts';
import { SseParser } from '../../plugins/openai/sse.ts';

/** A recorded-style OpenAI stream with the awkward parts: CRLF, comments, multi-line data, non-ASCII. */
const STREAM = [
  ': keep-alive comment\r\n\r\n',
  'data: {"choices":[{"delta":{"content":"Grüße, "}}]}\n\n',
  'event: message\r\ndata: {"choices":[{"delta":\r\ndata: {"content":"naïve 😀"}}]}\r\n\r\n',
  'id: 7\ndata:{"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n',
  'data: [DONE]\n\n',
].join('');
const EXPECTED = ['{"choices":[{"delta":{"content":"Grüße, "}}]}', '{"choices":[{"delta":\n{"content":"naïve 😀"}}]}', '{"choices":[{"delta":{},"finish_reason":"stop"}]}', '[DONE]'];

describe('SSE parser', () => {
  it('gives the same events however the bytes are split (even inside a UTF-8 character or a CRLF)', () => {
    const bytes = Buffer.from(STREAM);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        const parser = new SseParser();
        const events: string[] = [];
        let at = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          events.push(...parser.push(bytes.subarray(at, cut)));
          at = cut;
        }
        events.push(...parser.push(bytes.subarray(at)), ...parser.end());
        expect(events).toEqual(EXPECTED);
      }),
      { numRuns: 500 },
    );
  });

  it('completes an event left open at the end of the body', () => {
    const p = new SseParser();
    expect(p.push('data: a\n')).toEqual([]);
    expect(p.end()).toEqual(['a']);
  });
});

describe('OpenAI provider over its own HTTP client', () => {
  it('an https base URL is served by node:https (no network needed to tell)', () => {
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
        else (clearInterval(timer), res.end(chunk({}, 'stop') + 'data: [DONE]\n\n'), outcomes.push('finished'));
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
});
