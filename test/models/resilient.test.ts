import { describe, expect, it } from 'vitest';
import { ModelError } from '../../src/models/provider.ts';
import { ResilientProvider } from '../../src/models/resilient.ts';
import type { ModelCallRecord } from '../../src/models/resilient.ts';
import { CircuitBreaker } from '../../src/models/circuit-breaker.ts';
import { parseRetryAfter, toModelError } from '../../src/models/errors.ts';
import { ScriptedProvider, err } from './scripted-provider.ts';

const msgs = [{ role: 'user' as const, content: 'hi' }];

function setup(opts: ConstructorParameters<typeof ResilientProvider>[1] = {}) {
  const inner = new ScriptedProvider();
  const records: ModelCallRecord[] = [];
  const delays: number[] = [];
  const p = new ResilientProvider(inner, {
    retries: 3,
    baseDelayMs: 1,
    maxDelayMs: 4,
    random: () => 0.5,
    onCall: (r) => records.push(r),
    onRetry: (i) => delays.push(i.delayMs),
    ...opts,
  });
  return { inner, p, records, delays };
}

describe('resilient provider: retries', () => {
  it('retries 429/5xx/network/malformed, then succeeds, recording one call with attempts, usage and latency', async () => {
    const { inner, p, records } = setup();
    inner.script = [err('rate_limited', true), err('unavailable', true), err('malformed', true)];
    const r = await p.generateText({ messages: msgs });
    expect(r.text).toBe('ok');
    expect(inner.calls).toBe(4);
    expect(typeof r.latencyMs).toBe('number');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      provider: 'scripted',
      model: 'scripted-model',
      kind: 'text',
      ok: true,
      attempts: 4,
      usage: { promptTokens: 3, completionTokens: 1 },
    });
  });

  it('uses exponential backoff with jitter, and retry-after when the server gives one', async () => {
    const { inner, p, delays } = setup({ baseDelayMs: 10, maxDelayMs: 1000, random: () => 0.5 });
    inner.script = [err('unavailable', true), err('unavailable', true), err('rate_limited', true, 7)];
    await p.generateText({ messages: msgs });
    expect(delays).toEqual([5, 10, 7]);
  });

  it('does not retry a 4xx that cannot succeed, nor auth errors', async () => {
    for (const code of ['bad_request', 'auth'] as const) {
      const { inner, p, records } = setup();
      inner.script = [err(code, false)];
      await expect(p.generateText({ messages: msgs })).rejects.toMatchObject({ code });
      expect(inner.calls).toBe(1);
      expect(records[0]).toMatchObject({ ok: false, attempts: 1 });
      expect(records[0].error?.code).toBe(code);
    }
  });

  it('gives up after the retry budget with the last error', async () => {
    const { inner, p } = setup({ retries: 2 });
    inner.script = [err('unavailable', true), err('unavailable', true), err('unavailable', true, undefined, 'third'), 'ok'];
    await expect(p.generateText({ messages: msgs })).rejects.toMatchObject({ code: 'unavailable', message: 'third' });
    expect(inner.calls).toBe(3);
  });

  it('does not wait for a retry-after longer than its cap', async () => {
    const { inner, p } = setup({ maxRetryAfterMs: 100 });
    inner.script = [err('rate_limited', true, 60_000)];
    await expect(p.generateText({ messages: msgs })).rejects.toMatchObject({ code: 'rate_limited', retryAfterMs: 60_000 });
    expect(inner.calls).toBe(1);
  });

  it('an abort during the backoff wait ends the call as aborted', async () => {
    const { inner, p } = setup({ baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 1 });
    inner.script = [err('unavailable', true)];
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    await expect(p.generateText({ messages: msgs, signal: ac.signal })).rejects.toMatchObject({ code: 'aborted' });
    expect(inner.calls).toBe(1);
  });

  it('a backoff that would pass the call deadline is not taken', async () => {
    const { inner, p } = setup({ baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 1 });
    inner.script = [err('unavailable', true)];
    await expect(p.generateText({ messages: msgs, timeoutMs: 500 })).rejects.toMatchObject({ code: 'unavailable' });
    expect(inner.calls).toBe(1);
  });

  it('streams: retries before the first delta, never after it', async () => {
    const { inner, p, records } = setup();
    inner.script = [err('unavailable', true)];
    const chunks = [];
    for await (const c of p.streamText({ messages: msgs })) chunks.push(c);
    expect(inner.calls).toBe(2);
    expect(chunks.map((c) => c.type)).toEqual(['delta', 'delta', 'done']);
    expect(records[0]).toMatchObject({ ok: true, attempts: 2 });

    inner.calls = 0;
    inner.script = ['ok', err('unavailable', true, undefined, 'mid-stream')];
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const c of p.streamText({ messages: msgs })) seen.push(c.type);
      })(),
    ).rejects.toMatchObject({ code: 'unavailable' });
    expect(seen).toEqual(['delta']);
    expect(inner.calls).toBe(1);
  });
});

describe('resilient provider: streams abandoned by their reader', () => {
  it('records the call as aborted when the consumer stops before done', async () => {
    const { p, records } = setup();
    for await (const c of p.streamText({ messages: msgs })) {
      expect(c.type).toBe('delta');
      break;
    }
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ ok: false, attempts: 1 });
    expect(records[0].error?.code).toBe('aborted');
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive failures, refuses without calling, half-opens after the wait, closes on a good probe', async () => {
    let now = 0;
    const inner = new ScriptedProvider();
    const p = new ResilientProvider(inner, { retries: 0, breaker: { failureThreshold: 3, openMs: 1000, now: () => now } });
    inner.script = [err('unavailable', true), err('unavailable', true), err('unavailable', true)];
    for (let i = 0; i < 3; i++) await expect(p.generateText({ messages: msgs })).rejects.toMatchObject({ code: 'unavailable' });
    expect(p.breaker.state).toBe('open');
    await expect(p.generateText({ messages: msgs })).rejects.toMatchObject({ code: 'unavailable', retryable: false, retryAfterMs: 1000 });
    expect(inner.calls).toBe(3);
    now = 1000;
    expect(p.breaker.state).toBe('half-open');
    await p.generateText({ messages: msgs });
    expect(p.breaker.state).toBe('closed');
    expect(inner.calls).toBe(4);
  });

  it('a failed probe opens the circuit again; 4xx and aborts do not count', () => {
    let now = 0;
    const b = new CircuitBreaker('x', { failureThreshold: 2, openMs: 100, now: () => now });
    b.failure();
    b.neutral(); // e.g. a 400: neither proves nor disproves health
    b.failure();
    expect(b.state).toBe('open');
    expect(() => b.acquire()).toThrow(ModelError);
    now = 100;
    b.acquire(); // the probe
    expect(() => b.acquire()).toThrow(/circuit open/); // only one probe at a time
    b.failure();
    expect(b.state).toBe('open');
    now = 150;
    expect(b.state).toBe('open');
  });

  it('bad requests do not open the circuit', async () => {
    const inner = new ScriptedProvider();
    const p = new ResilientProvider(inner, { retries: 0, breaker: { failureThreshold: 2 } });
    inner.script = [err('bad_request', false), err('bad_request', false), err('bad_request', false)];
    for (let i = 0; i < 3; i++) await expect(p.generateText({ messages: msgs })).rejects.toMatchObject({ code: 'bad_request' });
    expect(p.breaker.state).toBe('closed');
  });
});

describe('error mapping', () => {
  it('maps statuses and headers', () => {
    expect(toModelError('p', { status: 429, headers: new Headers({ 'retry-after': '3' }), message: 'x' }, { aborted: false, timedOut: false })).toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 3000,
    });
    expect(toModelError('p', { status: 503, message: 'x' }, { aborted: false, timedOut: false })).toMatchObject({ code: 'unavailable', retryable: true });
    expect(toModelError('p', { status: 404, message: 'x' }, { aborted: false, timedOut: false })).toMatchObject({ code: 'bad_request', retryable: false });
    expect(toModelError('p', { status: 401, message: 'x' }, { aborted: false, timedOut: false })).toMatchObject({ code: 'auth', retryable: false });
    expect(toModelError('p', new TypeError('fetch failed'), { aborted: false, timedOut: false })).toMatchObject({ code: 'unavailable', retryable: true });
    expect(toModelError('p', new Error('x'), { aborted: true, timedOut: true })).toMatchObject({ code: 'aborted' });
    expect(toModelError('p', new Error('x'), { aborted: false, timedOut: true })).toMatchObject({ code: 'timeout' });
  });

  it('parses retry-after as seconds, HTTP date, or retry-after-ms', () => {
    expect(parseRetryAfter({ 'retry-after': '2' })).toBe(2000);
    expect(parseRetryAfter({ 'retry-after-ms': '150', 'retry-after': '9' })).toBe(150);
    expect(parseRetryAfter({ 'Retry-After': new Date(10_000).toUTCString() }, 4_000)).toBe(6000);
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
