import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/transport/rate-limit.ts';
import { Router } from '../../src/transport/router.ts';
import { stripControl, toJson } from '../../src/transport/sanitize.ts';
import { parseClientFrame } from '../../src/transport/ws-frames.ts';

describe('RateLimiter', () => {
  it('allows perMinute in a burst, then refuses with the seconds until the next token', () => {
    let now = 0;
    const l = new RateLimiter(6, () => now);
    for (let i = 0; i < 6; i++) expect(l.take('k').ok).toBe(true);
    const refused = l.take('k');
    expect(refused).toEqual({ ok: false, retryAfterS: 10 });
    expect(l.take('other').ok).toBe(true);
    now += 10_000;
    expect(l.take('k').ok).toBe(true);
    expect(l.take('k').ok).toBe(false);
  });

  it('0 turns it off', () => {
    const l = new RateLimiter(0);
    for (let i = 0; i < 1000; i++) expect(l.take('k').ok).toBe(true);
  });
});

describe('Router', () => {
  it('matches params, reports allowed methods for a known path, and nothing for unknown paths', () => {
    const r = new Router<string>().add('GET', '/a/:id/b', { access: 'public' }, 'h1').add('POST', '/a/:id/b', { access: 'user' }, 'h2');
    const m = r.match('GET', '/a/x%20y/b');
    expect(m && 'route' in m && m.route.handler).toBe('h1');
    expect(m && 'route' in m && m.params).toEqual({ id: 'x y' });
    expect(r.match('DELETE', '/a/1/b')).toEqual({ allowed: ['GET', 'POST'] });
    expect(r.match('GET', '/a/1')).toBeUndefined();
    expect(r.match('GET', '/a/%E0%A4%A/b')).toBeUndefined();
  });
});

describe('sanitising output', () => {
  it('strips C0 (but \\t, \\n), DEL and C1 controls; leaves everything else', () => {
    expect(stripControl('a\u0000\u0001\t\n\r\u001f\u007f\u0085\u009fz é 😀 <b>')).toBe('a\t\nz é 😀 <b>');
    expect(JSON.parse(toJson({ nested: ['x\u0007y'], n: 1 }))).toEqual({ nested: ['xy'], n: 1 });
  });
});

describe('client frames', () => {
  it('parse the protocol and name what is wrong', () => {
    expect(parseClientFrame('{"type":"subscribe","roomId":"r","afterSeq":3}')).toEqual({ ok: true, frame: { type: 'subscribe', roomId: 'r', afterSeq: 3 } });
    expect(parseClientFrame('nope')).toMatchObject({ ok: false, code: 'invalid_frame' });
    expect(parseClientFrame('{"type":"jump"}')).toMatchObject({ ok: false, code: 'unknown_type' });
    expect(parseClientFrame('{"type":"subscribe","roomId":"r","afterSeq":-1}')).toMatchObject({
      ok: false,
      code: 'validation_error',
      message: expect.stringContaining('afterSeq'),
    });
  });
});
